import ArgumentParser
import FleetGit
import FleetModel
import Foundation

/// `gitfleet history`: the deployment history as the status annotations (git notes) tell it.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List deployments from the status annotations in Git, newest first.",
        discussion: """
            With --server URL the controller reads its own repository and notes (GET /api/v1/history) and \
            the output is the same as the local form's.
            """
    )

    @Argument(help: "Only deployments that touched this service.")
    var service: String?

    @OptionGroup var repository: RepositoryOptions

    @Option(name: .long, help: "The notes ref the annotations are under.")
    var notesRef: String = "refs/notes/gitfleet"

    @Flag(name: .long, help: "Print the history as JSON.")
    var json = false

    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        guard serverOptions.server != nil else { return }
        if notesRef != "refs/notes/gitfleet" {
            throw ValidationError("--notes-ref: with --server the controller reads the notes ref it writes")
        }
        if repository.repo != "." || repository.rev != nil {
            throw ValidationError("--repo/--rev: with --server the controller reads its own repository")
        }
    }

    func run() async throws {
        if let client = try serverOptions.client() {
            try await show(from: client)
            return
        }
        let entries: [DeploymentHistoryEntry]
        do {
            let (repo, _) = try repository.open()
            if repository.isRemote { try repo.fetchNotes(ref: notesRef) }
            let history = try repo.deploymentHistory(notesRef: notesRef)
            for problem in history.unreadable { Terminal.error("warning: \(problem)") }
            entries = history.entries
        } catch {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
        let history = DeploymentHistoryEntry.newestFirst(entries, service: service)
        if json {
            Terminal.write(try HistoryJSON.encode(history, service: service))
            return
        }
        if history.isEmpty {
            Terminal.out("no deployments recorded under \(notesRef)")
            return
        }
        for entry in history {
            Terminal.out(HistoryText.render(entry, service: service))
        }
    }

    /// The controller's answer, printed as the local form prints its own reading.
    private func show(from client: ControllerClient) async throws {
        let entries: [HistoryJSON.Entry]
        do {
            entries = try await client.history(service: service)
        } catch {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
        if json {
            Terminal.write(try HistoryJSON.encode(entries))
            return
        }
        if entries.isEmpty {
            Terminal.out("no deployments recorded by the controller at \(client.base)")
            return
        }
        for entry in entries {
            Terminal.out(HistoryText.render(DeploymentHistoryEntry(entry), service: service))
        }
    }
}

enum HistoryText {
    static let resultWidth = DeploymentResult.allCases.map(\.rawValue.count).max() ?? 0

    /// `2026-11-22 13:02  3f2a9c1d8e7b  converged  web 1.5.0  (Dev <dev@example.com>)` then one line per service.
    static func render(_ entry: DeploymentHistoryEntry, service: String?) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let result = entry.annotation?.result.rawValue ?? "-"
        // The widest result and two spaces, so the subject never runs into the result (`in-progressv2`).
        let column = resultWidth + 2
        var lines = [
            "\(formatter.string(from: entry.date))  \(entry.commit.prefix(12))  "
                + "\(result.padding(toLength: max(column, result.count + 2), withPad: " ", startingAt: 0))"
                + "\(entry.summary)  (\(entry.author))"
        ]
        let services = (entry.annotation?.services ?? [:]).filter { service == nil || $0.key == service }
        for (name, status) in services.sorted(by: { $0.key < $1.key }) {
            // A service the commit left as it was ran the same image before and after: name it once.
            let images = status.from == status.to ? [status.to] : [status.from, status.to]
            let change = images.compactMap { $0 }.joined(separator: " → ")
            var line = "    \(name): \(status.result.rawValue)"
            if !change.isEmpty { line += ", \(change)" }
            line += ", +\(status.created)/-\(status.destroyed)"
            if let took = status.took { line += ", took \(took.manifestDescription)" }
            lines.append(line)
        }
        if let reason = entry.annotation?.reason {
            lines.append("    reason: \(reason.split(separator: "\n").first ?? "")")
        }
        // What operators did while the fleet was at this commit, oldest first; the whole fleet's concern every service.
        for action in entry.annotation?.actions ?? [] where service == nil || [nil, service].contains(action.service) {
            var line = "    \(action.action)"
            if let target = action.service { line += " \(target)" }
            line += " by \(action.by) at \(formatter.string(from: action.at))"
            if let reason = action.reason { line += ": \(reason.split(separator: "\n").first ?? "")" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
