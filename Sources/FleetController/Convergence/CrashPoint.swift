import Foundation

/// Numbered points between the steps of the journal at which a test can have the controller killed.
///
/// With `GITFLEET_CRASH_AT=N` in the environment, the N-th point passed kills the process with
/// SIGKILL, as a power cut or an OOM kill would. Nothing runs after it: no defer, no flush. The
/// crash tests use this to stop a real controller at every boundary of a rollout and check that a
/// restarted one leaks, duplicates and loses nothing (the failpoints of etcd and TiKV serve the same
/// purpose). Without the variable a point costs one atomic load.
public enum CrashPoint {
    private static let target: Int? = ProcessInfo.processInfo.environment["GITFLEET_CRASH_AT"].flatMap(Int.init)
    private static let counter = Counter()

    /// Marks a point; `name` goes to standard error just before the kill so a failing test can say where.
    public static func pass(_ name: String) {
        guard let target else { return }
        if counter.increment() == target {
            FileHandle.standardError.write(Data("gitfleet: crash point \(target) (\(name))\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func increment() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
