import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A long-running helper process for tests (etcd, a server), started with a clean signal mask.
///
/// Spawned with posix_spawn rather than Foundation's `Process`: the test runner blocks SIGTERM, Foundation's
/// children inherit that mask and would ignore a polite stop; and Foundation's reaper can stall on daemons
/// that close their descriptors. Output (stdout and stderr) goes to a log file that errors can quote.
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    public let logPath: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` (an absolute path) with `arguments`, writing its output to `logPath`.
    public init(executable: String, arguments: [String], logPath: String) throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        pid = try Self.spawn([executable] + arguments, searchingPath: false, actions: &actions)
    }

    /// posix_spawn with a clean signal mask and default signal dispositions, the set-up every helper process
    /// of the tests needs; `actions` arranges its descriptors.
    public static func spawn(
        _ argv: [String], searchingPath: Bool, actions: inout posix_spawn_file_actions_t
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = argv.map { strdup($0) } + [nil]
        defer {
            for argument in arguments { free(argument) }
        }
        var child: pid_t = 0
        let result =
            searchingPath
            ? posix_spawnp(&child, argv[0], &actions, &attributes, arguments, environ)
            : posix_spawn(&child, argv[0], &actions, &attributes, arguments, environ)
        guard result == 0 else { throw POSIXError(.init(rawValue: result) ?? .EIO) }
        return child
    }

    deinit {
        stop(grace: 0)
    }

    /// The exit status when the process has ended (reaping it), nil while it runs.
    public var exitCode: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return reapLocked(blocking: false)
    }

    /// Sends SIGTERM, waits up to `grace` seconds for the process to end, then SIGKILLs it. Idempotent.
    public func stop(grace: TimeInterval = 5) {
        lock.lock()
        defer { lock.unlock() }
        guard reapLocked(blocking: false) == nil else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            if reapLocked(blocking: false) != nil { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        _ = reapLocked(blocking: true)
    }

    /// The last lines of the log, for error messages.
    public func logTail(lines: Int = 20) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    private func reapLocked(blocking: Bool) -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        guard result == pid || (result == -1 && errno == ECHILD) else { return nil }
        exitStatus = status
        return status
    }
}
