import Foundation

/// The moments `gitfleet audit` takes (`audit at TIME`, `audit export --since/--until`), read exactly: an RFC 3339
/// time with its offset, a bare date, or `now`.
///
/// A time without an offset is refused rather than read in some local zone: an auditor's question names one
/// instant, and two readers must not get two answers from the same words.
public enum AuditTime {
    /// What the usage error names as the accepted forms.
    public static let forms =
        "an RFC 3339 time such as 2026-11-27T10:00:00Z or 2026-11-27T11:00:00.5+01:00, a date "
        + "such as 2026-11-27 (its 00:00 UTC), or now"

    /// Why `text` is not a time; `description` is one line naming the text and the forms.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var text: String
        public var problem: String

        public var description: String { "'\(text)' is not a time (\(problem)); expected \(forms)" }
    }

    /// `text` as an instant; `now` is `now` to the whole second.
    ///
    /// The record's times are whole seconds, so a moment within a second answers as the second's start does; `now`
    /// drops its fraction so that it prints as the record does.
    ///
    /// Accepted: `now`; `YYYY-MM-DD` (00:00:00 UTC that day); `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z`
    /// or an offset `±HH:MM`, `±HHMM` or `±HH` (`T` may be `t` or a space, `Z` may be `z`, as RFC 3339 allows).
    public static func parse(_ text: String, now: Date) throws(ParseError) -> Date {
        if text == "now" { return Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)) }
        var scanner = Scanner(Array(text.utf8))
        func fail(_ problem: String) -> ParseError { ParseError(text: text, problem: problem) }
        guard let year = scanner.digits(4), scanner.take("-"), let month = scanner.digits(2), scanner.take("-"),
            let day = scanner.digits(2)
        else { throw fail("it does not start with a date YYYY-MM-DD") }
        guard (1...12).contains(month) else { throw fail("month \(month) is not 1 to 12") }
        guard (1...daysIn(month: month, year: year)).contains(day) else {
            throw fail("\(padded(year, 4))-\(padded(month, 2)) has no day \(day)")
        }
        var seconds = 0.0
        var offset = 0
        if !scanner.isAtEnd {
            guard scanner.take("T") || scanner.take("t") || scanner.take(" ") else {
                throw fail("the date is followed by something other than T and a time")
            }
            guard let hour = scanner.digits(2), scanner.take(":"), let minute = scanner.digits(2) else {
                throw fail("the time is not HH:MM or HH:MM:SS")
            }
            guard hour < 24, minute < 60 else { throw fail("\(hour):\(minute) is not a time of day") }
            seconds = Double(hour * 3600 + minute * 60)
            if scanner.take(":") {
                guard let second = scanner.digits(2), second < 60 else { throw fail("the seconds are not 00 to 59") }
                seconds += Double(second)
                if scanner.take(".") || scanner.take(",") {
                    let fraction = scanner.allDigits()
                    guard !fraction.isEmpty, let value = Double("0." + fraction) else {
                        throw fail("the fraction of a second has no digits")
                    }
                    seconds += value
                }
            }
            if scanner.take("Z") || scanner.take("z") {
                offset = 0
            } else if let sign = scanner.sign() {
                guard let hours = scanner.digits(2) else { throw fail("the offset is not ±HH:MM") }
                var minutes = 0
                if scanner.take(":") {
                    guard let value = scanner.digits(2) else { throw fail("the offset is not ±HH:MM") }
                    minutes = value
                } else if let value = scanner.digits(2) {
                    minutes = value
                }
                guard hours < 24, minutes < 60 else { throw fail("the offset is not ±HH:MM") }
                offset = sign * (hours * 3600 + minutes * 60)
            } else {
                throw fail("it has no offset: add Z for UTC or ±HH:MM")
            }
            guard scanner.isAtEnd else { throw fail("it goes on after the offset") }
        }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days) * 86_400 + seconds - Double(offset))
    }

    /// `date` as the audit commands print it: UTC, `2026-11-27T10:00:00Z`, with the fraction of a second only when
    /// there is one (a TIME given with one), to the millisecond.
    public static func format(_ date: Date) -> String {
        let total = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let milliseconds = ((total % 1000) + 1000) % 1000
        let base = Date(timeIntervalSince1970: Double(total - milliseconds) / 1000).formatted(.iso8601)
        guard milliseconds > 0 else { return base }
        return String(base.dropLast()) + ".\(padded(Int(milliseconds), 3))Z"
    }

    /// `value` in decimal with leading zeros to `width` digits.
    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to the date (proleptic Gregorian; Howard Hinnant's days_from_civil).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Reads ASCII bytes left to right.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var isAtEnd: Bool { index == bytes.count }

        mutating func take(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue else { return false }
            index += 1
            return true
        }

        /// Exactly `count` digits, as a number.
        mutating func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + count)] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += count
            return value
        }

        mutating func allDigits() -> String {
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// `+1` or `-1` for a leading `+` or `-`.
        mutating func sign() -> Int? {
            if take("+") { return 1 }
            if take("-") { return -1 }
            return nil
        }
    }
}
