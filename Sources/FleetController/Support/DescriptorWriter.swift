import Foundation

/// Writes bytes to a file descriptor with write(2), every byte or an error.
///
/// Not `FileHandle.write`, which traps when the write fails: a log line or a command's output to a reader that
/// went away (`gitfleet status | head -3`, a closed log pipe) must never crash the process.
public enum DescriptorWriter {
    /// Writes all of `bytes` to `descriptor`, retrying interrupted and partial writes; the `errno` of the write
    /// that failed, or nil when all went out.
    @discardableResult
    public static func write<Bytes: Collection>(_ bytes: Bytes, to descriptor: Int32) -> Int32?
    where Bytes.Element == UInt8 {
        var remaining = Array(bytes)[...]
        while !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                remaining = remaining.dropFirst(written)
            } else if written < 0, errno == EINTR {
                continue
            } else {
                return written < 0 ? errno : EIO
            }
        }
        return nil
    }
}
