import FleetController
import Foundation
import GitFleetTesting
import Testing

@Suite("Cron schedules: fields, the day rule and daylight saving time", .tags(.fast))
struct CronScheduleTests {
    static func utc(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    static func schedule(_ text: String, _ zone: String = "UTC") throws -> CronSchedule {
        try CronSchedule.parse(text, timeZone: TimeZone(identifier: zone)!).get()
    }

    /// The first `count` moments after `start`, as ISO 8601 in UTC.
    static func moments(_ text: String, after start: String, count: Int, zone: String = "UTC") throws -> [String] {
        let schedule = try schedule(text, zone)
        var date = utc(start)
        var moments: [String] = []
        for _ in 0..<count {
            guard let next = schedule.next(after: date) else { break }
            moments.append(next.formatted(.iso8601))
            date = next
        }
        return moments
    }

    @Test(
        "fields: *, numbers, ranges, steps, lists and names",
        arguments: [
            ("* * * * *", "2026-01-01T00:00:30Z", ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"]),
            ("30 2 * * *", "2026-01-01T00:00:00Z", ["2026-01-01T02:30:00Z", "2026-01-02T02:30:00Z"]),
            (
                "*/20 9 * * *", "2026-01-01T09:10:00Z",
                ["2026-01-01T09:20:00Z", "2026-01-01T09:40:00Z", "2026-01-02T09:00:00Z"]
            ),
            (
                "10-20/5 0 1 * *", "2026-01-01T00:00:00Z",
                ["2026-01-01T00:10:00Z", "2026-01-01T00:15:00Z", "2026-01-01T00:20:00Z", "2026-02-01T00:10:00Z"]
            ),
            ("0 8,17 * * *", "2026-01-01T09:00:00Z", ["2026-01-01T17:00:00Z", "2026-01-02T08:00:00Z"]),
            (
                "45/5 0 * * *", "2026-01-01T00:00:00Z",
                ["2026-01-01T00:45:00Z", "2026-01-01T00:50:00Z", "2026-01-01T00:55:00Z", "2026-01-02T00:45:00Z"]
            ),
            ("0 0 * feb,mar mon", "2026-01-01T00:00:00Z", ["2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"]),
            ("0 0 * * 7", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
            (
                "0 0 * * 5-7", "2026-01-01T00:00:00Z",
                ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-09T00:00:00Z"]
            ),
            ("0 0 29 2 *", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00Z"]),
        ])
    func fields(schedule: String, after: String, expected: [String]) throws {
        #expect(try Self.moments(schedule, after: after, count: expected.count) == expected)
    }

    @Test("day-of-month and day-of-week both restricted: a day matches when either does, as in cron")
    func eitherDay() throws {
        // The 13th of each month, and every Friday.
        #expect(
            try Self.moments("0 0 13 * 5", after: "2026-02-01T00:00:00Z", count: 4) == [
                "2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z", "2026-02-27T00:00:00Z",
            ])
        #expect(
            try Self.moments("0 0 1 * 1", after: "2026-05-30T00:00:00Z", count: 2) == [
                "2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z",
            ])
        // With a `*` day field, both must match: only the Fridays.
        #expect(
            try Self.moments("0 0 * * 5", after: "2026-02-01T00:00:00Z", count: 2) == [
                "2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z",
            ])
        // A day field that starts with `*` (`*/2`) counts as unrestricted, as in Vixie cron: odd days that are Mondays.
        #expect(
            try Self.moments("0 0 */2 * 1", after: "2026-06-01T00:00:00Z", count: 2) == [
                "2026-06-15T00:00:00Z", "2026-06-29T00:00:00Z",
            ])
    }

    @Test("a schedule names wall-clock times in its time zone, in winter and in summer")
    func timeZone() throws {
        #expect(
            try Self.moments("0 18 * * 5", after: "2026-01-01T00:00:00Z", count: 1, zone: "Europe/Berlin") == [
                "2026-01-02T17:00:00Z"
            ])
        #expect(
            try Self.moments("0 18 * * 5", after: "2026-07-01T00:00:00Z", count: 1, zone: "Europe/Berlin") == [
                "2026-07-03T16:00:00Z"
            ])
    }

    @Test("a time the spring-forward gap skips happens when the gap ends, once")
    func springGap() throws {
        // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
        #expect(
            try Self.moments("30 2 * * *", after: "2026-03-28T00:00:00Z", count: 3, zone: "Europe/Berlin") == [
                "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z",
            ])
        #expect(
            try Self.moments("0 3 * * *", after: "2026-03-28T12:00:00Z", count: 2, zone: "Europe/Berlin") == [
                "2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z",
            ])
    }

    @Test("a time the fall-back repeats happens once, the first time")
    func fallRepeat() throws {
        // Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00Z); 02:30 comes twice.
        #expect(
            try Self.moments("30 2 * * *", after: "2026-10-24T12:00:00Z", count: 2, zone: "Europe/Berlin") == [
                "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z",
            ])
        #expect(
            try Self.moments("0 * * * *", after: "2026-10-24T23:30:00Z", count: 4, zone: "Europe/Berlin") == [
                "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z", "2026-10-25T04:00:00Z",
            ])
    }

    @Test("a schedule that names no day is nil, not a hang")
    func never() throws {
        #expect(try Self.schedule("0 0 30 2 *").next(after: Self.utc("2026-01-01T00:00:00Z")) == nil)
    }

    @Test(
        "a bad schedule says which field and what was expected",
        arguments: [
            ("0 18 * *", "has 4 fields (expected 5"),
            ("60 * * * *", "'60' in the minute field '60' is not a number from 0 to 59"),
            ("* 24 * * *", "'24' in the hour field"),
            ("* * 0 * *", "in the day-of-month field '0' is not a number from 1 to 31"),
            ("* * * 13 *", "'13' in the month field '13' is not a number from 1 to 12 or a name such as jan"),
            ("* * * * fun", "'fun' in the day-of-week field"),
            ("*/0 * * * *", "'0' in the minute field '*/0' is not a step"),
            ("5-1 * * * *", "'5-1' in the minute field '5-1' is a range that ends before it starts"),
            ("1,,2 * * * *", "the minute field '1,,2' has an empty item"),
        ])
    func bad(text: String, expected: String) {
        switch CronSchedule.parse(text) {
        case .success(let schedule): Issue.record("'\(text)' parsed as \(schedule)")
        case .failure(let error): #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}
