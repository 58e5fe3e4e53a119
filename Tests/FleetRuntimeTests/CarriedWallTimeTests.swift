import FleetRuntime
import Foundation
import Testing

/// `SystemClock`'s wall time: carried forward on the monotonic clock, and slewed towards a stepped system clock.
@Suite("The wall time carried on the monotonic clock")
struct CarriedWallTimeTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let origin = ContinuousClock.now

    /// Advances `clock` second by second for `seconds`, the system clock reading `offset` from the true time;
    /// returns the wall times read.
    static func run(_ clock: inout CarriedWallTime, from second: Int, for seconds: Int, offset: TimeInterval)
        -> [Date]
    {
        (second + 1...second + seconds).map { second in
            clock.advance(
                to: origin.advanced(by: .seconds(second)),
                system: start.addingTimeInterval(TimeInterval(second) + offset), slewRate: SystemClock.slewRate)
        }
    }

    @Test("with the system clock untouched, it is the system's time")
    func follows() {
        var clock = CarriedWallTime(wallTime: Self.start, instant: Self.origin)
        let read = Self.run(&clock, from: 0, for: 30, offset: 0)
        #expect(read.enumerated().allSatisfy { $0.element == Self.start.addingTimeInterval(Double($0.offset + 1)) })
    }

    @Test("a step forwards of an hour moves it 1.1 s a second until it caught up, ten hours later")
    func stepForwards() {
        var clock = CarriedWallTime(wallTime: Self.start, instant: Self.origin)
        let read = Self.run(&clock, from: 0, for: 10, offset: 3600)
        // A minute's deadline recorded now is counted at most 10 % fast: 1.1 s of wall time per second.
        #expect(abs(read[9].timeIntervalSince(Self.start) - 11) < 1e-6, "\(read[9].timeIntervalSince(Self.start))")
        let later = Self.run(&clock, from: 10, for: 36_000, offset: 3600)
        #expect(abs(later.last!.timeIntervalSince(Self.start) - (36_010 + 3600)) < 1e-6)
    }

    @Test("a step backwards of an hour slows it to 0.9 s a second, never back, until it caught up")
    func stepBackwards() {
        var clock = CarriedWallTime(wallTime: Self.start, instant: Self.origin)
        let read = Self.run(&clock, from: 0, for: 36_010, offset: -3600)
        #expect(zip(read, read.dropFirst()).allSatisfy { $0.0 < $0.1 }, "the wall time went back")
        #expect(abs(read[9].timeIntervalSince(Self.start) - 9) < 1e-6)
        #expect(abs(read.last!.timeIntervalSince(Self.start) - (36_010 - 3600)) < 1e-6)
    }

    @Test("a half-second step is absorbed in five seconds")
    func smallStep() {
        var clock = CarriedWallTime(wallTime: Self.start, instant: Self.origin)
        let read = Self.run(&clock, from: 0, for: 6, offset: 0.5)
        #expect(abs(read[4].timeIntervalSince(Self.start) - 5.5) < 1e-6)
        #expect(abs(read[5].timeIntervalSince(Self.start) - 6.5) < 1e-6)
    }

    @Test("a reading taken before another's is given the later time, not an earlier one")
    func concurrentReaders() {
        var clock = CarriedWallTime(wallTime: Self.start, instant: Self.origin)
        let late = clock.advance(
            to: Self.origin.advanced(by: .seconds(2)), system: Self.start.addingTimeInterval(2), slewRate: 0.1)
        let early = clock.advance(
            to: Self.origin.advanced(by: .seconds(1)), system: Self.start.addingTimeInterval(1), slewRate: 0.1)
        #expect(early == late)
    }
}
