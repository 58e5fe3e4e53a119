import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Facts about a process read from the OS, used to tell an instance's process from whatever later got its pid.
enum ProcessIdentity {
    struct Snapshot: Equatable {
        /// `R`, `S`, `Z` (zombie) …
        var state: Character
        var startTicks: UInt64
    }

    /// The state and start time of `pid` from `/proc/<pid>/stat`; nil when there is no such process.
    static func snapshot(of pid: Int32) -> Snapshot? {
        #if os(Linux)
            // Read and parsed in a stack buffer: the exit watcher asks this of every instance five times a
            // second, and Foundation's file and string work made that most of an idle controller's CPU.
            let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer in
                let count = read(fd, buffer.baseAddress, buffer.count)
                guard count > 0 else { return nil }
                let bytes = UnsafeBufferPointer(rebasing: buffer[0..<count])
                // The command name (field 2) is in parentheses and may hold spaces; count fields after it.
                guard let closing = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
                var field = 0
                var state: Character?
                var ticks: UInt64 = 0
                var index = closing + 1
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: " ") {
                        field += 1
                        if field > 20 { break }
                    } else if field == 1 && state == nil {
                        state = Character(Unicode.Scalar(byte))
                    } else if field == 20 {
                        guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                        ticks = ticks * 10 + UInt64(byte - UInt8(ascii: "0"))
                    }
                    index += 1
                }
                guard field >= 20, let state else { return nil }
                return Snapshot(state: state, startTicks: ticks)
            }
        #else
            return kill(pid, 0) == 0 || errno == EPERM ? Snapshot(state: "R", startTicks: 0) : nil
        #endif
    }

    /// Decodes a `waitpid` status.
    static func exitStatus(fromWaitStatus status: Int32) -> ExitStatus {
        let signal = status & 0x7f
        if signal == 0 { return .exited(code: (status >> 8) & 0xff) }
        return .signaled(signal: signal)
    }
}
