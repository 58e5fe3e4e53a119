import FleetModel
import Foundation
import Testing

/// The TIME of `gitfleet audit at` and the bounds of `audit export`: one instant for one text, or a refusal that says
/// what is wrong.
@Suite("Audit: reading a moment")
struct AuditTimeTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000.25)

    @Test(
        "RFC 3339 times, with Z or an offset and with fractions, dates and now",
        arguments: [
            ("2026-11-27T10:00:00Z", 1_795_773_600.0),
            ("2026-11-27t10:00:00z", 1_795_773_600.0),
            ("2026-11-27 10:00:00Z", 1_795_773_600.0),
            ("2026-11-27T11:00:00+01:00", 1_795_773_600.0),
            ("2026-11-27T11:00:00+0100", 1_795_773_600.0),
            ("2026-11-27T11:00:00+01", 1_795_773_600.0),
            ("2026-11-27T04:30:00-05:30", 1_795_773_600.0),
            ("2026-11-27T10:00Z", 1_795_773_600.0),
            ("2026-11-27T10:00:00.5Z", 1_795_773_600.5),
            ("2026-11-27T10:00:00,25Z", 1_795_773_600.25),
            ("2026-11-27", 1_795_737_600.0),
            ("2024-02-29", 1_709_164_800.0),
            ("1970-01-01T00:00:00Z", 0.0),
            ("now", 1_800_000_000.0),
        ])
    func accepted(text: String, seconds: Double) throws {
        #expect(try AuditTime.parse(text, now: Self.now).timeIntervalSince1970 == seconds)
    }

    @Test(
        "anything else is refused, naming the text, what is wrong and the forms",
        arguments: [
            ("", "does not start with a date"),
            ("yesterday", "does not start with a date"),
            ("2026-11-27T10:00:00", "has no offset"),
            ("2026-13-01", "month 13"),
            ("2026-02-29", "2026-02 has no day 29"),
            ("2026-11-27T24:00:00Z", "not a time of day"),
            ("2026-11-27T10:00:60Z", "seconds"),
            ("2026-11-27T10:00:00.Z", "fraction"),
            ("2026-11-27T10:00:00Zjunk", "goes on after"),
            ("2026-11-27X10:00Z", "other than T"),
            ("27/11/2026", "does not start with a date"),
            ("Now", "does not start with a date"),
        ])
    func refused(text: String, problem: String) {
        #expect {
            try AuditTime.parse(text, now: Self.now)
        } throws: { error in
            let message = "\(error)"
            return message.contains("'\(text)' is not a time") && message.contains(problem)
                && message.contains("2026-11-27T10:00:00Z") && message.contains("now") && !message.contains("\n")
        }
    }

    @Test("printed in UTC to the second, with milliseconds only when there are some")
    func format() throws {
        #expect(AuditTime.format(Date(timeIntervalSince1970: 1_795_773_600)) == "2026-11-27T10:00:00Z")
        #expect(AuditTime.format(Date(timeIntervalSince1970: 1_795_773_600.5)) == "2026-11-27T10:00:00.500Z")
        #expect(AuditTime.format(Date(timeIntervalSince1970: 1_795_773_600.9996)) == "2026-11-27T10:00:01Z")
        let text = "2026-11-27T10:00:00.125Z"
        #expect(AuditTime.format(try AuditTime.parse(text, now: Self.now)) == text)
    }
}
