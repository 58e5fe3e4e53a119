import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A tmpfs of its own, a few megabytes, mounted on a temporary folder: a disk a test can fill to the last byte
/// and empty again without touching the machine's disks.
///
/// Mounting takes root (CI runs as root). When the mount fails `init` throws saying why, so a test that needs a
/// full disk fails rather than skips. ``unmount()`` (also run on deinit) unmounts lazily, so a process still
/// holding a file there cannot keep the mount behind.
public final class SmallFilesystem: @unchecked Sendable {
    public let mountPoint: TemporaryDirectory
    private let lock = NSLock()
    private var mounted = true
    private var fillers = 0

    /// Mounts a tmpfs of `size` (as `mount -o size=` takes it: `8m`) on a new temporary folder.
    public init(size: String) throws {
        mountPoint = try TemporaryDirectory(prefix: "gitfleet-smallfs")
        let outcome = try BuiltProducts.runBlocking(
            "/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0755", "tmpfs", mountPoint.path])
        guard outcome.status == 0 else {
            mountPoint.remove()
            throw FixtureError(
                "cannot mount a \(size) tmpfs on \(mountPoint.path) (needs root, as CI runs): \(outcome)")
        }
    }

    deinit {
        unmount()
    }

    /// `mountPoint/component`.
    public func appending(_ component: String) -> String { mountPoint.appending(component) }

    /// Bytes still free for files, as `statvfs` reports them.
    public var freeBytes: Int {
        var stats = statvfs()
        guard statvfs(mountPoint.path, &stats) == 0 else { return 0 }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    /// Writes a filler file until the filesystem refuses (ENOSPC); returns how many bytes it took.
    @discardableResult
    public func fill() throws -> Int {
        let path = lock.withLock {
            fillers += 1
            return appending("filler-\(fillers)")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x5a, count: 64 * 1024)
        var written = 0
        while true {
            let count = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                written += count
                continue
            }
            if count < 0 && errno == EINTR { continue }
            guard count < 0 && errno == ENOSPC else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
            return written
        }
    }

    /// Deletes every filler file: the space is back.
    public func free() {
        let count = lock.withLock { fillers }
        for index in stride(from: 1, through: count, by: 1) {
            try? FileManager.default.removeItem(atPath: appending("filler-\(index)"))
        }
    }

    /// Unmounts (lazily, so a file still open there cannot keep the mount) and removes the folder. Idempotent.
    public func unmount() {
        let wasMounted = lock.withLock {
            defer { mounted = false }
            return mounted
        }
        guard wasMounted else { return }
        _ = try? BuiltProducts.runBlocking("/usr/bin/umount", ["--lazy", mountPoint.path])
        mountPoint.remove()
    }
}
