import FleetRuntime
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A long-running helper process for tests (etcd, a server), started with a clean signal mask.
///
/// Started by ``ProcessSpawner`` (the codebase's one spawner for processes that outlive the call that
/// started them) rather than Foundation's `Process`: the test runner blocks SIGTERM, Foundation's children
/// inherit that mask and would ignore a polite stop; and Foundation's reaper can stall on daemons that close
/// their descriptors. Output (stdout and stderr) goes to a log file that errors can quote.
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    public let logPath: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` (an absolute path) with `arguments` and this process's environment with `environment`
    /// added, writing its output to `logPath`.
    public init(
        executable: String, arguments: [String], environment: [String: String] = [:], logPath: String
    ) throws {
        self.logPath = logPath
        pid = try ProcessSpawner.spawn(
            argv: [executable] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, workingDirectory: nil,
            standardOutput: .file(logPath, append: false), standardError: .standardOutput, newSession: false)
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
