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
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let closing = text.lastIndex(of: ")")
            else { return nil }
            // The command name (field 2) is in parentheses and may hold spaces; count fields after it.
            let fields = text[text.index(after: closing)...].split(separator: " ")
            guard fields.count > 19, let state = fields[0].first, let ticks = UInt64(fields[19]) else { return nil }
            return Snapshot(state: state, startTicks: ticks)
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
