import Foundation

/// The port the server bound, published once by the running server and awaited by anyone who needs it.
final class ListeningPort: @unchecked Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int, any Error>])
        case bound(Int)
        case failed(ServerError)
    }

    private let lock = NSLock()
    // Guarded by `lock`.
    private var state = State.waiting([])

    var current: Int? {
        lock.lock()
        defer { lock.unlock() }
        if case .bound(let port) = state { return port }
        return nil
    }

    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            switch state {
            case .waiting(var waiters):
                waiters.append(continuation)
                state = .waiting(waiters)
                lock.unlock()
            case .bound(let port):
                lock.unlock()
                continuation.resume(returning: port)
            case .failed(let error):
                lock.unlock()
                continuation.resume(throwing: error)
            }
        }
    }

    func bind(_ port: Int) {
        for waiter in resolve(.bound(port)) {
            waiter.resume(returning: port)
        }
    }

    /// Fails the waiters if the server never bound; a port once bound stays readable.
    func stop(_ error: ServerError) {
        for waiter in resolve(.failed(error)) {
            waiter.resume(throwing: error)
        }
    }

    private func resolve(_ next: State) -> [CheckedContinuation<Int, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        guard case .waiting(let waiters) = state else { return [] }
        state = next
        return waiters
    }
}
