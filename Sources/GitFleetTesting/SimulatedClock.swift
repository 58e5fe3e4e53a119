import FleetRuntime
import Foundation
import NIOConcurrencyHelpers

/// A ``FleetClock`` whose time moves only when someone waits on it or a test moves it, so a rollout's
/// waits (probe intervals, `minReady`, progress deadlines, drain delays, canary pauses, `maxAge`) pass in
/// microseconds of real time.
///
/// A wait jumps the clock to its deadline at once: the converger, the one thing that waits in a rollout test,
/// never waits for nothing, so time passes exactly as fast as the rollout asks for it. ``advance(by:)`` moves
/// it from the test (a day later, for `maxAge`). Its monotonic instant and its wall time move together, as
/// ``FleetClock`` requires; wall time starts at a whole millisecond, as the registry keeps dates.
///
/// Written here rather than taken from pointfreeco/swift-clocks: its `TestClock` has its own instant type
/// (not `ContinuousClock.Instant`, which health streaks and the runtime share) and no wall time, and waits
/// until a test advances it, whereas a rollout test wants waits to advance time by themselves.
public final class SimulatedClock: FleetClock {
    private let origin: ContinuousClock.Instant
    private let wallOrigin: Date
    private let elapsed = NIOLockedValueBox(Duration.zero)

    /// A clock whose wall time starts at `wallTime`.
    public init(wallTime: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        origin = ContinuousClock.now
        wallOrigin = wallTime
    }

    public var now: ContinuousClock.Instant { origin.advanced(by: elapsed.withLockedValue { $0 }) }

    public var wallTime: Date { wallOrigin.addingTimeInterval(Self.seconds(elapsed.withLockedValue { $0 })) }

    /// How much simulated time has passed since the clock was made.
    public var elapsedTime: Duration { elapsed.withLockedValue { $0 } }

    /// Moves the clock to `deadline` (never backwards) and lets other tasks run once.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try Task.checkCancellation()
        let target = origin.duration(to: deadline)
        elapsed.withLockedValue { $0 = max($0, target) }
        await Task.yield()
        try Task.checkCancellation()
    }

    /// Moves the clock forward by `duration`.
    public func advance(by duration: Duration) {
        elapsed.withLockedValue { $0 += max(duration, .zero) }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
