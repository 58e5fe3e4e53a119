import Foundation

/// Wakes the controller's loop early: a webhook asks for a fetch, or shutdown begins. A signal sent
/// while nobody waits is kept (once), so it is never lost between two waits.
final class WakeSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var generation = 0

    func signal() {
        lock.lock()
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.resume()
        } else {
            pending = true
            lock.unlock()
        }
    }

    /// Returns after `timeout`, or at once when signalled or cancelled meanwhile.
    func wait(timeout: Duration) async {
        await withTaskCancellationHandler {
            await waitForSignal(timeout: timeout)
        } onCancel: {
            signal()
        }
    }

    private func waitForSignal(timeout: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if pending {
                pending = false
                lock.unlock()
                continuation.resume()
                return
            }
            generation += 1
            let ticket = generation
            waiter = continuation
            lock.unlock()
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.expire(ticket)
            }
        }
    }

    private func expire(_ ticket: Int) {
        lock.lock()
        guard ticket == generation, let waiter else {
            lock.unlock()
            return
        }
        self.waiter = nil
        lock.unlock()
        waiter.resume()
    }
}
