import Dispatch
import FleetGit

/// Runs blocking libgit2 work (clones, fetches, remote head lookups, note pushes) on a thread of its own,
/// one piece at a time, so a slow remote never holds one of the few cooperative threads, and the
/// controller actor stays free to answer status and readiness probes while it waits.
enum GitThread {
    private static let queue = DispatchQueue(label: "gitfleet.git")

    static func run<Result>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: Handed(try work()))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        .value
    }

    /// A repository handed to the Git thread and back. `GitRepository` is not `Sendable`; handing it over
    /// is safe because the controller's loop is its only user and awaits each piece of work before it
    /// touches the repository again, and the serial queue keeps overlapping callers one at a time.
    struct Handed<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }
}
