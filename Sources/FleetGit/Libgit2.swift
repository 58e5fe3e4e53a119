import CLibgit2
import FleetModel

/// Process-wide libgit2 state.
///
/// libgit2 must be initialised once before any other call; a lazily initialised global is run exactly once by
/// the Swift runtime (thread-safe), and is never shut down because cached repositories live until exit.
enum Libgit2 {
    private static let initialization: Int32 = {
        let result = git_libgit2_init()
        // libgit2 caches only trees of at most 4 KiB by default, so the services tree of a large fleet
        // (about 450 KiB for 10,000 files) was inflated, hash-checked and parsed again by every tree
        // diff and path lookup of a reload. Caching trees up to 16 MiB keeps it in memory between them;
        // the object cache as a whole stays within libgit2's total limit (256 MiB by default).
        _ = gitfleet_set_cache_object_limit(GIT_OBJECT_TREE, 16 << 20)
        // Every TCP connection (http, https, ssh) through a stream with a deadline: libgit2 1.5 has none.
        _ = GitNetwork.register()
        return result
    }()

    /// Initialises libgit2 if this is the first call in the process.
    static func ensureInitialized() {
        _ = initialization
    }

    /// Which optional transports this libgit2 build was compiled with.
    static var supportsSSH: Bool {
        ensureInitialized()
        return git_libgit2_features() & Int32(GIT_FEATURE_SSH.rawValue) != 0
    }

    static var supportsHTTPS: Bool {
        ensureInitialized()
        return git_libgit2_features() & Int32(GIT_FEATURE_HTTPS.rawValue) != 0
    }
}

/// Throws a `GitError` describing libgit2's last error when `result` is negative.
@inline(__always)
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws {
    if result < 0 {
        throw GitError.libgit2(result, operation: operation())
    }
}

extension git_oid {
    /// The 40 lower-case hex digits, built without a round trip through C strings (called per tree entry).
    var hex: String {
        var oid = self
        return withUnsafeBytes(of: &oid.id) { Hex.lowercase($0) }
    }

    /// Parses exactly 40 hex digits.
    init?(hex: String) {
        guard hex.utf8.count == 40 else { return nil }
        var oid = git_oid()
        guard git_oid_fromstrn(&oid, hex, 40) == 0 else { return nil }
        self = oid
    }
}
