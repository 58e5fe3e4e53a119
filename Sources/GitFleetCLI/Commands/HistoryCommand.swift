import ArgumentParser
import FleetGit
import FleetModel
import Foundation

/// `gitfleet history`: the deployment history as the status annotations (git notes) tell it.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List deployments from the status annotations in Git, newest first."
    )

    @Argument(help: "Only deployments that touched this service.")
    var service: String?

    @OptionGroup var repository: RepositoryOptions

    @Option(name: .long, help: "The notes ref the annotations are under.")
    var notesRef: String = "refs/notes/gitfleet"

    @Flag(name: .long, help: "Print the history as JSON.")
    var json = false

    func run() throws {
        let entries: [DeploymentHistoryEntry]
        do {
            let (repo, _) = try repository.open()
            if repository.isRemote { try repo.fetchNotes(ref: notesRef) }
            entries = try repo.notes(ref: notesRef).compactMap { note in
                guard let info = try? repo.commit(note.commit) else { return nil }
                let annotation: StatusAnnotation
                do {
                    annotation = try StatusAnnotation(yaml: note.text)
                } catch {
                    Terminal.error("warning: the note on \(note.commit.short) is not a gitfleet annotation: \(error)")
                    return nil
                }
                return DeploymentHistoryEntry(
                    commit: note.commit.hex, author: "\(info.author.name) <\(info.author.email)>",
                    date: info.committer.date, summary: info.summary, annotation: annotation)
            }
        } catch {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
        let history = DeploymentHistoryEntry.newestFirst(entries, service: service)
        if json {
            FileHandle.standardOutput.write(try HistoryJSON.encode(history, service: service))
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
            let change = [status.from, status.to].compactMap { $0 }.joined(separator: " → ")
            var line = "    \(name): \(status.result.rawValue)"
            if !change.isEmpty { line += ", \(change)" }
            line += ", +\(status.created)/-\(status.destroyed)"
            if let took = status.took { line += ", took \(took.manifestDescription)" }
            lines.append(line)
        }
        if let reason = entry.annotation?.reason {
            lines.append("    reason: \(reason.split(separator: "\n").first ?? "")")
        }
        return lines.joined(separator: "\n")
    }
}

/// `history --json`: one object per deployment, the commit (`commit`, `author`, `date`, `message`) and every field
/// of its status annotation, so a tool reads from it everything a note says (docs/auditing.md lists the fields).
enum HistoryJSON {
    struct Entry: Encodable {
        var commit: String
        var author: String
        var date: Date
        var message: String
        var result: String?
        var fleet: String?
        var controller: String?
        /// When the note was written.
        var at: Date?
        var reason: String?
        var errors: [String]?
        var signature: Signature?
        var rewrite: Rewrite?
        var services: [String: Service]
    }

    struct Signature: Encodable {
        var method: String
        var signer: String?
    }

    struct Rewrite: Encodable {
        var from: String
        var note: String
    }

    struct Service: Encodable {
        var result: String
        var from: String?
        var to: String?
        var created: Int
        var destroyed: Int
        var tookSeconds: Int64?
        var reason: String?
    }

    static func encode(_ entries: [DeploymentHistoryEntry], service: String?) throws -> Data {
        let document = entries.map { entry in
            let annotation = entry.annotation
            return Entry(
                commit: entry.commit, author: entry.author, date: entry.date, message: entry.summary,
                result: annotation?.result.rawValue, fleet: annotation?.fleet, controller: annotation?.controller,
                at: annotation?.at, reason: annotation?.reason,
                errors: annotation.flatMap { $0.errors.isEmpty ? nil : $0.errors },
                signature: annotation?.signature.map { Signature(method: $0.method, signer: $0.signer) },
                rewrite: annotation?.rewrite.map { Rewrite(from: $0.from, note: $0.note) },
                services: (annotation?.services ?? [:]).filter { service == nil || $0.key == service }
                    .mapValues {
                        Service(
                            result: $0.result.rawValue, from: $0.from, to: $0.to, created: $0.created,
                            destroyed: $0.destroyed, tookSeconds: $0.took.map { $0.components.seconds },
                            reason: $0.reason)
                    })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(document) + Data("\n".utf8)
    }
}
