import Foundation

/// A fresh directory under the system temp directory that is deleted, with everything in it, when the last
/// reference goes away (or when `remove()` is called).
///
/// Swift may release an object right after its last use, not at the end of the scope, so keep using the
/// directory (or use `withTemporaryDirectory`) for as long as its files are needed.
public final class TemporaryDirectory: Sendable {
    /// Absolute path, with symlinks resolved so it compares equal to paths tools report back.
    public let path: String

    /// Creates the directory; `prefix` makes leftovers recognisable if a process is killed.
    public init(prefix: String = "gitfleet-test") throws {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(prefix)-XXXXXX")
        var bytes = Array(template.utf8CString)
        guard let created = mkdtemp(&bytes) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: template])
        }
        path = URL(fileURLWithPath: String(cString: created)).resolvingSymlinksInPath().path
    }

    deinit {
        remove()
    }

    /// Deletes the directory and its contents now. Safe to call more than once.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `path/component`.
    public func appending(_ component: String) -> String {
        (path as NSString).appendingPathComponent(component)
    }

    /// A `file://` URL for a path inside the directory.
    public func fileURL(_ component: String? = nil) -> String {
        URL(fileURLWithPath: component.map(appending) ?? path).absoluteString
    }
}

/// Runs `body` with a new temporary directory that is removed when `body` returns or throws.
public func withTemporaryDirectory<T>(
    prefix: String = "gitfleet-test", _ body: (TemporaryDirectory) throws -> T
) throws -> T {
    let directory = try TemporaryDirectory(prefix: prefix)
    defer { directory.remove() }
    return try body(directory)
}

/// Runs `body` with a new temporary directory that is removed when `body` returns or throws.
public func withTemporaryDirectory<T>(
    prefix: String = "gitfleet-test", isolation: isolated (any Actor)? = #isolation,
    _ body: (TemporaryDirectory) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory(prefix: prefix)
    defer { directory.remove() }
    return try await body(directory)
}
