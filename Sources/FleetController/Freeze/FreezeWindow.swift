import Foundation

/// A span of time in which no new rollout starts for the services it covers: recurring (a cron schedule and
/// a duration, in a time zone) or one-off (from a moment until another). Self-healing goes on inside it.
///
/// Written as one line, like a notification target, so the same text works as an item of a YAML list, in
/// the environment and in a flag (items comma-separated): the window's name, then `key=value` words. A value
/// with spaces or commas is written in double quotes (`reason="release freeze"`, `schedule="0 18 * * 5"`).
///
/// ```
/// weekend schedule="0 18 * * 5" duration=64h timeZone=Europe/Berlin reason="no deploys over the weekend"
/// christmas from=2026-12-24T00:00:00Z until=2026-12-27T00:00:00Z services=web+api
/// ```
///
/// The vocabulary is Argo CD's sync windows' (`schedule`, `duration`, `timeZone`), so operators who know
/// those read these; unlike Argo's, a window here acts per service, not per application.
public struct FreezeWindow: Sendable, Hashable, CustomStringConvertible {
    public enum Timing: Sendable, Hashable {
        /// Opens at each moment of `schedule` and stays open for `duration`.
        case recurring(schedule: CronSchedule, duration: Duration)
        /// Open from `from` (included) until `until` (excluded).
        case once(from: Date, until: Date)
    }

    public var name: String
    public var timing: Timing
    /// The services it covers; nil for every service.
    public var services: Set<String>?
    /// Why it exists, for people reading the status, the notes and the events.
    public var reason: String?

    public func covers(_ service: String) -> Bool { services?.contains(service) ?? true }

    /// `name` with the reason, as notes and status lines quote it: `weekend (no deploys over the weekend)`.
    public var label: String { reason.map { "\(name) (\($0))" } ?? name }

    /// When the window is open at `date`: until when it stays open (occurrences that overlap or touch are one
    /// span); nil when it is closed.
    public func openUntil(at date: Date) -> Date? {
        switch timing {
        case .once(let from, let until):
            return from <= date && date < until ? until : nil
        case .recurring(let schedule, let duration):
            let length = Double(duration.components.seconds)
            // The latest start at or before `date` among those whose occurrence still covers it.
            var start: Date? = nil
            var cursor = date.addingTimeInterval(-length)
            while let next = schedule.next(after: cursor), next <= date {
                start = next
                cursor = next
            }
            guard let start else { return nil }
            var end = start.addingTimeInterval(length)
            // Occurrences that begin before the last one ends keep the window open.
            var guardrail = 0
            while let next = schedule.next(after: cursor), next <= end, guardrail < 1_000 {
                end = max(end, next.addingTimeInterval(length))
                cursor = next
                guardrail += 1
            }
            return end
        }
    }

    /// The next time the window opens strictly after `date`, if it ever does.
    public func nextOpening(after date: Date) -> Date? {
        switch timing {
        case .once(let from, _): return from > date ? from : nil
        case .recurring(let schedule, _): return schedule.next(after: date)
        }
    }

    public var description: String {
        var words = [name]
        switch timing {
        case .recurring(let schedule, let duration):
            words.append("schedule=\"\(schedule.text)\"")
            words.append("duration=\(duration.manifestDescription)")
            if schedule.timeZone.identifier != "GMT" { words.append("timeZone=\(schedule.timeZone.identifier)") }
        case .once(let from, let until):
            words.append("from=\(Self.timestamp(from))")
            words.append("until=\(Self.timestamp(until))")
        }
        if let services { words.append("services=" + services.sorted().joined(separator: "+")) }
        if let reason { words.append("reason=\"\(reason)\"") }
        return words.joined(separator: " ")
    }

    /// An ISO 8601 time in UTC, as windows, notes and events write it.
    public static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }
}
