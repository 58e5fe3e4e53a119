import Foundation
import NIOConcurrencyHelpers

/// Where the controller's rollout logic reads the time and waits: monotonic instants for intervals (probe
/// intervals, the pause between passes), wall time for what is recorded (registry dates, from which
/// deadlines, drain delays, canary pauses and `maxAge` count).
///
/// Production code takes one as a parameter and defaults to ``SystemClock``. Tests pass a simulated clock
/// (GitFleetTesting's `SimulatedClock`) on which those waits pass in microseconds, so rollout logic is
/// tested without waiting seconds of wall time for each step. Both readings must advance together: a clock
/// whose monotonic instant moved by `d` has moved its wall time by `d` too (``SystemClock`` within its slew
/// rate), because the converger maps wall-time deadlines onto the monotonic clock it sleeps on.
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

/// The real clocks: `ContinuousClock`, and wall time carried forward on it, slewed towards the system's.
///
/// Reading `Date()` each time let a step of the system clock while the process runs (an NTP step, `date -s`)
/// move every deadline counted from a recorded date: an hour forwards and they all ran out at once (healthy
/// starting instances failed, a progressing rollout rolled back); an hour backwards held drain delays and
/// deadlines for the hour (`ClockStepTests`). Carrying the time read at start forward on the monotonic clock
/// alone fixes that but never follows the step: a controller started before NTP set the clock would record,
/// and judge freeze windows by, a wrong time until restarted, and two replicas would disagree. So the carried
/// time closes any gap to the system's at ``slewRate``, as NTP slews rather than steps: a step of a second is
/// absorbed in ten, an hour's in ten hours, and meanwhile a deadline is counted at most 10 % fast or slow.
public struct SystemClock: FleetClock {
    /// How fast the wall time closes a gap to the system clock: a tenth of a second per second.
    public static let slewRate = 0.1

    /// One per process, so every part's clock agrees.
    private static let carried = NIOLockedValueBox(CarriedWallTime(wallTime: Date(), instant: ContinuousClock.now))

    public init() {}

    public var now: ContinuousClock.Instant { ContinuousClock.now }

    public var wallTime: Date {
        let (now, system) = (ContinuousClock.now, Date())
        return Self.carried.withLockedValue { $0.advance(to: now, system: system, slewRate: Self.slewRate) }
    }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }
}

/// Wall time moved on by a monotonic clock, and towards the system's wall time by at most `slewRate` of the
/// time that passed: it never jumps, never goes back, and follows a stepped system clock within
/// `gap / slewRate`.
public struct CarriedWallTime: Sendable {
    /// The wall time at ``instant``.
    public private(set) var wallTime: Date
    public private(set) var instant: ContinuousClock.Instant

    public init(wallTime: Date, instant: ContinuousClock.Instant) {
        self.wallTime = wallTime
        self.instant = instant
    }

    /// The wall time at `now`, given that the system clock reads `system`; `slewRate` below 1.
    public mutating func advance(to now: ContinuousClock.Instant, system: Date, slewRate: Double) -> Date {
        let (seconds, attoseconds) = (now - instant).components
        // A caller that read `now` just before another advanced the time sees that time, not an earlier one.
        let elapsed = max(0, TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)
        let carried = wallTime.addingTimeInterval(elapsed)
        let bound = elapsed * slewRate
        wallTime = carried.addingTimeInterval(min(max(system.timeIntervalSince(carried), -bound), bound))
        instant = max(instant, now)
        return wallTime
    }
}
