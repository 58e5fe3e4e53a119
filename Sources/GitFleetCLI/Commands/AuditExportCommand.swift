import ArgumentParser
import FleetModel
import Foundation

/// `gitfleet audit export`: every deployment, rollback, rejection and operator action, one row each, for a
/// spreadsheet (CSV) or a tool (JSON).
struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export every deployment, rollback, rejection and operator action, oldest first.",
        discussion: """
            CSV (the default) is RFC 4180 with a header row, one row per event; JSON is an array of objects with \
            the same fields. A deployment has one row per service it names. --since and --until take the times \
            'audit at' takes; an event is in the range when since <= its time < until.
            """
    )

    @Option(name: .long, help: "Only events at or after this time (RFC 3339, a date, or now).")
    var since: String?

    @Option(name: .long, help: "Only events before this time (RFC 3339, a date, or now).")
    var until: String?

    @Option(name: .long, help: "csv (RFC 4180, for spreadsheets) or json.")
    var format: String = AuditExport.Format.csv.rawValue

    @OptionGroup var repository: RepositoryOptions

    @Option(name: .long, help: "The notes ref the annotations are under.")
    var notesRef: String = "refs/notes/gitfleet"

    func validate() throws {
        if AuditExport.Format(rawValue: format) == nil {
            throw ValidationError("--format takes csv or json, not '\(format)'")
        }
        let now = Date()
        for (flag, text) in [("--since", since), ("--until", until)] {
            guard let text else { continue }
            do {
                _ = try AuditTime.parse(text, now: now)
            } catch {
                throw ValidationError("\(flag): \(error)")
            }
        }
    }

    func run() async throws {
        let now = Date()
        let range = (
            try since.map { try AuditTime.parse($0, now: now) }, try until.map { try AuditTime.parse($0, now: now) }
        )
        let timeline = try AuditRecord.timeline(repository, notesRef: notesRef)
        let events = timeline.events(since: range.0, until: range.1)
        switch AuditExport.Format(rawValue: format) ?? .csv {
        case .csv: Terminal.write(Data(AuditExport.csv(events).utf8))
        case .json: Terminal.write(try AuditExport.json(events))
        }
    }
}
