import NIOConcurrencyHelpers

/// Awaits `work` (run in a task of its own) until it finishes or the caller is cancelled, whichever comes
/// first; on cancellation throws `CancellationError` at once and leaves `work` to finish on its own.
///
/// For the Git thread: libgit2 cannot be interrupted, so a fetch stuck on a silent remote runs until its
/// deadline. Shutdown must not wait for that deadline; the result of such work is simply dropped.
func abandoningOnCancel<Result: Sendable>(_ work: @escaping @Sendable () async throws -> Result) async throws
    -> Result
{
    let outcome = NIOLockedValueBox<AbandonableOutcome<Result>>(.pending(nil))
    let task = Task { () -> Void in
        let result: Swift.Result<Result, any Error>
        do {
            result = .success(try await work())
        } catch {
            result = .failure(error)
        }
        outcome.withLockedValue { $0.finish(result) }?.resume(with: result)
    }
    _ = task
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            if let ready = outcome.withLockedValue({ $0.wait(continuation) }) { continuation.resume(with: ready) }
        }
    } onCancel: {
        outcome.withLockedValue { $0.finish(.failure(CancellationError())) }?.resume(throwing: CancellationError())
    }
}

/// Runs `work` for at most `timeout`, then stops waiting for it (see ``abandoningOnCancel(_:)``); nil when it
/// was abandoned or threw.
@discardableResult
func abandoning<Result: Sendable>(after timeout: Duration, _ work: @escaping @Sendable () async throws -> Result)
    async -> Result?
{
    let waiter = Task { try await abandoningOnCancel(work) }
    let timer = Task {
        try await Task.sleep(for: timeout)
        waiter.cancel()
    }
    defer { timer.cancel() }
    return try? await waiter.value
}

/// Who is waiting and what came first: the work's result or the caller's cancellation.
private enum AbandonableOutcome<Result: Sendable> {
    case pending(CheckedContinuation<Result, any Error>?)
    case finished(Swift.Result<Result, any Error>)
    case delivered

    /// Records the first outcome; returns the waiter to resume with it, if one waits.
    mutating func finish(_ result: Swift.Result<Result, any Error>) -> CheckedContinuation<Result, any Error>? {
        guard case .pending(let waiter) = self else { return nil }
        if let waiter {
            self = .delivered
            return waiter
        }
        self = .finished(result)
        return nil
    }

    /// Registers the waiter; returns the outcome at once when it is already known.
    mutating func wait(_ continuation: CheckedContinuation<Result, any Error>) -> Swift.Result<Result, any Error>? {
        switch self {
        case .pending:
            self = .pending(continuation)
            return nil
        case .finished(let result):
            self = .delivered
            return result
        case .delivered:
            return .failure(CancellationError())
        }
    }
}
