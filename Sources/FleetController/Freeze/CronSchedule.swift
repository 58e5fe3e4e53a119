import Foundation

/// A five-field cron schedule (`minute hour day-of-month month day-of-week`), read as cron(5) reads it, and
/// the moments it names in a time zone.
///
/// Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n` or `a/n`, or a comma-separated list of
/// those; months and weekdays may also be named (`jan`, `mon`), and weekday 7 is Sunday like 0. As in cron,
/// when both day-of-month and day-of-week are restricted (neither starts with `*`), a day matches when
/// either does; otherwise both must.
///
/// Times are wall-clock times in the schedule's time zone, so a window at `0 18 * * 5` opens at 18:00 in
/// Berlin in winter and in summer. Where daylight saving time skips a time (a spring-forward gap), a moment
/// inside the gap happens when the gap ends; where it repeats a time (fall-back), the moment happens once,
/// the first time. That is what Vixie cron does, so a schedule fires once a day whatever the clocks do.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    public var minutes: Set<Int>
    public var hours: Set<Int>
    public var daysOfMonth: Set<Int>
    public var months: Set<Int>
    /// 0 (Sunday) to 6.
    public var daysOfWeek: Set<Int>
    /// Whether a day matches when either day field does (both restricted), rather than when both do.
    public var daysEither: Bool
    public var timeZone: TimeZone
    /// The schedule as it was written.
    public var text: String

    public var description: String { text }

    /// Reads `text`; the error says which field is wrong and what was expected.
    public static func parse(_ text: String, timeZone: TimeZone = .gmt) -> Result<CronSchedule, CronScheduleError> {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else {
            return .failure(
                CronScheduleError(
                    "'\(text)' has \(fields.count) fields (expected 5: minute hour day-of-month month day-of-week)"))
        }
        do {
            let minutes = try field(fields[0], name: "minute", range: 0...59)
            let hours = try field(fields[1], name: "hour", range: 0...23)
            let days = try field(fields[2], name: "day-of-month", range: 1...31)
            let months = try field(fields[3], name: "month", range: 1...12, names: monthNames, firstName: 1)
            var weekdays = try field(fields[4], name: "day-of-week", range: 0...7, names: dayNames, firstName: 0)
            if weekdays.remove(7) != nil { weekdays.insert(0) }
            return .success(
                CronSchedule(
                    minutes: minutes, hours: hours, daysOfMonth: days, months: months, daysOfWeek: weekdays,
                    daysEither: !fields[2].hasPrefix("*") && !fields[4].hasPrefix("*"), timeZone: timeZone,
                    text: fields.joined(separator: " ")))
        } catch {
            return .failure(error)
        }
    }

    private static let monthNames = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    private static func field(
        _ text: String, name: String, range: ClosedRange<Int>, names: [String] = [], firstName: Int = 0
    ) throws(CronScheduleError) -> Set<Int> {
        func number(_ word: Substring) throws(CronScheduleError) -> Int {
            if let index = names.firstIndex(of: word.lowercased()) { return index + firstName }
            guard let value = Int(word), range.contains(value) else {
                throw CronScheduleError(
                    "'\(word)' in the \(name) field '\(text)' is not a number from \(range.lowerBound) to "
                        + "\(range.upperBound)\(names.isEmpty ? "" : " or a name such as \(names[0])")")
            }
            return value
        }
        var values: Set<Int> = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            var step = 1
            if parts.count == 2 {
                guard let value = Int(parts[1]), value > 0 else {
                    throw CronScheduleError(
                        "'\(parts[1])' in the \(name) field '\(text)' is not a step (expected /N, N > 0)")
                }
                step = value
            }
            let span = parts[0]
            let bounds: ClosedRange<Int>
            if span == "*" {
                bounds = range
            } else if let dash = span.firstIndex(of: "-") {
                let low = try number(span[..<dash])
                let high = try number(span[span.index(after: dash)...])
                guard low <= high else {
                    throw CronScheduleError(
                        "'\(span)' in the \(name) field '\(text)' is a range that ends before it starts")
                }
                bounds = low...high
            } else if span.isEmpty {
                throw CronScheduleError("the \(name) field '\(text)' has an empty item")
            } else {
                let start = try number(span)
                // `a/n` runs from a to the end of the field's range, as in Vixie cron.
                bounds = parts.count == 2 ? start...range.upperBound : start...start
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    /// Whether the schedule names this local day (`weekday` 0 is Sunday).
    func matches(month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let byDay = daysOfMonth.contains(day)
        let byWeekday = daysOfWeek.contains(weekday)
        return daysEither ? (byDay || byWeekday) : (byDay && byWeekday)
    }

    /// The first moment the schedule names strictly after `date`, or nil when it names none in the next eight
    /// years (`0 0 30 2 *` names none ever).
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let hours = self.hours.sorted()
        let minutes = self.minutes.sorted()
        var day = calendar.dateComponents([.year, .month, .day], from: date)
        day.hour = 12
        for _ in 0..<(366 * 8) {
            guard let noon = calendar.date(from: day) else { return nil }
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: noon)
            if matches(month: parts.month!, day: parts.day!, weekday: parts.weekday! - 1) {
                for hour in hours {
                    for minute in minutes {
                        let moment = Self.instant(
                            year: parts.year!, month: parts.month!, day: parts.day!, hour: hour, minute: minute,
                            in: timeZone)
                        if moment > date { return moment }
                    }
                }
            }
            guard let tomorrow = calendar.date(byAdding: .day, value: 1, to: noon) else { return nil }
            day = calendar.dateComponents([.year, .month, .day], from: tomorrow)
            day.hour = 12
        }
        return nil
    }

    /// The instant a local wall-clock time names in `timeZone`: the first of two in a repeated hour, the end
    /// of the gap for a time daylight saving time skips.
    static func instant(year: Int, month: Int, day: Int, hour: Int, minute: Int, in timeZone: TimeZone) -> Date {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = .gmt
        let naive = utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
        // The offsets in force half a day either side; a zone changes its offset at most once in that span.
        let offsets = Set([-43_200.0, 43_200.0].map { timeZone.secondsFromGMT(for: naive.addingTimeInterval($0)) })
        let valid = offsets.map { naive.addingTimeInterval(-Double($0)) }
            .filter { timeZone.secondsFromGMT(for: $0) == Int(naive.timeIntervalSince($0)) }
        if let first = valid.min() { return first }
        // In a gap: the moment the clocks jumped, read with the offset before the jump.
        let before = naive.addingTimeInterval(-Double(offsets.max() ?? 0))
        return timeZone.nextDaylightSavingTimeTransition(after: before) ?? naive
    }
}

/// Why a cron schedule's text is not one.
public struct CronScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
