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

/// The real clocks: `ContinuousClock`, and wall time carried forward on it.
///
/// Wall time is the system's as this process first read it, moved on by the monotonic clock since, so the two
/// readings advance together as ``FleetClock`` requires even when the system clock is stepped while the process
/// runs (an NTP step, `date -s`). Reading `Date()` each time broke that: an hour's step forwards made every
/// deadline counted from a recorded date run out at once (healthy starting instances failed, a progressing
/// rollout rolled back), and a step backwards held drain delays and deadlines for the hour it took away. A
/// step is followed at the next start; NTP's gradual corrections slew the monotonic clock too, so without
/// steps this is the system's time.
public struct SystemClock: FleetClock {
    /// Read once per process, so every part's clock agrees.
    private static let origin = (wallTime: Date(), instant: ContinuousClock.now)

    public init() {}

    public var now: ContinuousClock.Instant { ContinuousClock.now }

    public var wallTime: Date {
        let (seconds, attoseconds) = (ContinuousClock.now - Self.origin.instant).components
        return Self.origin.wallTime.addingTimeInterval(TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)
    }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }
}
