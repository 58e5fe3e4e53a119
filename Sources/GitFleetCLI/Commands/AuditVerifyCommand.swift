import ArgumentParser
import FleetController
import FleetGit
import FleetModel
import Foundation

/// `gitfleet audit verify`: proves the deployment record in Git is the controllers' and whole — every note signed
/// by an allowed controller over exactly its text, and the notes one hash chain from the first to the last
/// (``RecordChain``). Needs a clone with the notes and `ssh-keygen`; no controller.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every note's signature and the record's hash chain; exit 0 only when all holds.",
        discussion: """
            Each break is printed with the commit whose note is missing, changed, moved, unsigned or signed by a \
            key that is not allowed (docs/auditing.md).
            """
    )

    @OptionGroup var repository: RepositoryOptions

    @Option(name: .long, help: "The notes ref the record is under.")
    var notesRef: String = "refs/notes/gitfleet"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "An allowed_signers file of the controllers allowed to sign notes (namespace gitfleet-note).",
            discussion: "Without it, signatures are only checked to be intact, not to be an allowed controller's."),
        completion: .file())
    var allowedControllers: String?

    @Option(name: .long, help: "The path of ssh-keygen.")
    var sshKeygen: String = "ssh-keygen"

    @Flag(name: .long, help: "Print the verdict as JSON.")
    var json = false

    func run() async throws {
        let notes: [(commit: CommitID, text: String)]
        do {
            if let allowedControllers, !FileManager.default.isReadableFile(atPath: allowedControllers) {
                throw ValidationError("--allowed-controllers: cannot read \(allowedControllers)")
            }
            let (repo, _) = try repository.open()
            if repository.isRemote { try repo.fetchNotes(ref: notesRef) }
            notes = try repo.notes(ref: notesRef)
        } catch let error as ValidationError {
            throw error
        } catch {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
        let verdict: AuditVerdict
        do {
            let check = try NoteSignatureCheck(allowedControllers: allowedControllers, sshKeygen: sshKeygen)
            verdict = try await AuditVerdict.check(notes, ref: notesRef, signatures: check)
        } catch {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
        if json {
            Terminal.write(try verdict.json())
        } else {
            Terminal.out(verdict.text(allowedControllers: allowedControllers))
        }
        if !verdict.holds { throw CommandFailure() }
    }
}

/// What `audit verify` found: the chain, the signers and every break; `--json` prints it as it is.
struct AuditVerdict: Encodable {
    var ref: String
    /// How many notes the ref holds.
    var notes: Int
    /// The chain's length, and its first and last commits.
    var chained: Int
    var first: String?
    var last: String?
    /// Notes by who signed them: an allowed controller's principal, or `key SHA256:…` without an
    /// allowed-controllers file.
    var signers: [String: Int]
    var breaks: [RecordChain.Break]
    /// No break, and at least one note.
    var holds: Bool

    static func check(_ stored: [(commit: CommitID, text: String)], ref: String, signatures: NoteSignatureCheck)
        async throws -> AuditVerdict
    {
        var chainNotes: [RecordChain.Note] = []
        var breaks: [RecordChain.Break] = []
        var signers: [String: Int] = [:]
        for note in stored {
            let annotation: StatusAnnotation
            do {
                annotation = try StatusAnnotation(yaml: note.text)
            } catch {
                breaks.append(.init(commit: note.commit.hex, problem: "its note cannot be read: \(error)"))
                chainNotes.append(.init(commit: note.commit.hex, text: note.text, annotation: nil))
                continue
            }
            chainNotes.append(.init(commit: note.commit.hex, text: note.text, annotation: annotation))
            switch try await signatures.check(SignedNote(text: note.text)) {
            case .good(let principal):
                signers[principal, default: 0] += 1
            case .validUnchecked(let fingerprint):
                signers["key \(fingerprint)", default: 0] += 1
            case .unsigned:
                breaks.append(
                    .init(
                        commit: note.commit.hex,
                        problem: "its note is not signed (written without noteSigningKey, or its signature removed)"))
            case .bad(let reason):
                breaks.append(.init(commit: note.commit.hex, problem: "its note's signature fails: \(reason)"))
            }
        }
        breaks += RecordChain.breaks(chainNotes)
        let order = RecordChain.order(chainNotes)
        return AuditVerdict(
            ref: ref, notes: stored.count, chained: order.count, first: order.first, last: order.last,
            signers: signers, breaks: breaks.sorted { ($0.commit, $0.problem) < ($1.commit, $1.problem) },
            holds: breaks.isEmpty && !stored.isEmpty)
    }

    func text(allowedControllers: String?) -> String {
        var lines: [String] = []
        for item in breaks {
            lines.append("BREAK \(item.commit): \(item.problem)")
        }
        let signed = signers.sorted { $0.key < $1.key }.map { "\($0.value) by \($0.key)" }.joined(separator: ", ")
        lines.append(
            "\(notes) notes under \(ref); signed: \(signed.isEmpty ? "none" : signed); chain of \(chained)"
                + (first.map { " from \($0.prefix(12))" } ?? "") + (last.map { " to \($0.prefix(12))" } ?? ""))
        if allowedControllers == nil {
            lines.append(
                "note: without --allowed-controllers the signatures are only checked to be intact, not to be an "
                    + "allowed controller's")
        }
        if notes == 0 {
            lines.append("FAILED: no notes under \(ref) (fetch them: git fetch origin \(ref):\(ref))")
        } else if breaks.isEmpty {
            lines.append("OK: every note is signed and the chain holds from the first note to the last")
        } else {
            lines.append("FAILED: \(breaks.count) break\(breaks.count == 1 ? "" : "s") in the record")
        }
        return lines.joined(separator: "\n")
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
