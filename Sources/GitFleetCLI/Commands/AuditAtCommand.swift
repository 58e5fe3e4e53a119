import ArgumentParser
import FleetModel
import Foundation

/// `gitfleet audit at TIME [SERVICE]`: what ran in each service at a moment, and who put it there.
struct AuditAtCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "at",
        abstract: "Show what ran in each service at a moment, who put it there, and what was rolling out.",
        discussion: """
            TIME is an RFC 3339 time with its offset (2026-11-27T10:00:00Z, 2026-11-27T11:00:00.5+01:00), a date \
            (2026-11-27, its 00:00 UTC) or now. The answer comes from the status annotations alone \
            (docs/cli.md says how it is read from them).
            """
    )

    @Argument(help: "The moment: an RFC 3339 time such as 2026-11-27T10:00:00Z, a date such as 2026-11-27, or now.")
    var time: String

    @Argument(help: "Only this service.")
    var service: String?

    @OptionGroup var repository: RepositoryOptions

    @Option(name: .long, help: "The notes ref the annotations are under.")
    var notesRef: String = "refs/notes/gitfleet"

    @Flag(name: .long, help: "Print the answer as JSON.")
    var json = false

    func validate() throws {
        do {
            _ = try AuditTime.parse(time, now: Date())
        } catch {
            throw ValidationError("TIME: \(error)")
        }
    }

    func run() async throws {
        let moment = try AuditTime.parse(time, now: Date())
        let timeline = try AuditRecord.timeline(repository, notesRef: notesRef)
        if let service, !timeline.services.contains(service) {
            let known =
                timeline.services.isEmpty ? "it names none" : "it names \(timeline.services.joined(separator: ", "))"
            Terminal.error("error: no deployment under \(notesRef) names the service '\(service)' (\(known))")
            throw CommandFailure()
        }
        let answer = timeline.moment(at: moment, service: service)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.write(try encoder.encode(answer) + Data("\n".utf8))
            return
        }
        Terminal.out(AuditText.render(answer, timeline: timeline))
    }
}
