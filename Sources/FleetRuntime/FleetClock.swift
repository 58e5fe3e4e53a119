import Foundation

/// Where the controller's rollout logic reads the time and waits: monotonic instants for intervals (probe
/// intervals, the pause between passes), wall time for what is recorded (registry dates, from which
/// deadlines, drain delays, canary pauses and `maxAge` count).
///
/// Production code takes one as a parameter and defaults to ``SystemClock``. Tests pass a simulated clock
/// (GitFleetTesting's `SimulatedClock`) on which those waits pass in microseconds, so rollout logic is
/// tested without waiting seconds of wall time for each step. Both readings must advance together: a clock
/// whose monotonic instant moved by `d` has moved its wall time by `d` too, because the converger maps
/// wall-time deadlines onto the monotonic clock it sleeps on.
public protocol FleetClock: Sendable {
    /// Now, on a clock that never jumps back: for intervals and sleeping.
    var now: ContinuousClock.Instant { get }
    /// Now, as a date: for what is recorded and compared with recorded dates.
    var wallTime: Date { get }
    /// Suspends until `deadline` (on ``now``'s timeline) has passed; throws `CancellationError` when the
    /// task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension FleetClock {
    /// Suspends for `duration` of this clock's time.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now.advanced(by: duration))
    }

    /// The instant on ``now``'s timeline just after wall time reaches `date` (a deadline recorded as a date):
    /// a millisecond late, so that a check of "more than" the deadline holds when it is woken.
    public func instant(at date: Date) -> ContinuousClock.Instant {
        let milliseconds = (date.timeIntervalSince(wallTime) * 1000).rounded(.up) + 1
        return now.advanced(by: .milliseconds(Int64(max(min(milliseconds, 1e15), -1e15))))
    }
}

/// The real clocks: `ContinuousClock` and the system's wall time.
public struct SystemClock: FleetClock {
    public init() {}

    public var now: ContinuousClock.Instant { ContinuousClock.now }

    public var wallTime: Date { Date() }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }
}
