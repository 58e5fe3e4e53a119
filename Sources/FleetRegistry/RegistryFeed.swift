import Foundation

/// Settings shared by the change feeds of the registries.
public enum RegistryFeed {
    /// How often a store without a push notification (SQLite) is polled for new commits while a feed runs: short
    /// enough that a `gitfleet retry` is acted on in well under a second, long enough to cost nothing (one
    /// single-row read).
    public static let pollInterval: Duration = .milliseconds(250)
}

extension RegistryFeed {
    /// A change feed run by `produce` in a task of its own: the stream finishes when `produce` returns or is
    /// cancelled, throws what `produce` throws, and cancels `produce` when its consumer goes away.
    static func stream<Element: Sendable>(
        _ produce: @escaping @Sendable (AsyncThrowingStream<Element, any Error>.Continuation) async throws -> Void
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Element, any Error>.makeStream()
        let task = Task {
            do {
                try await produce(continuation)
                continuation.finish()
            } catch is CancellationError {
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
