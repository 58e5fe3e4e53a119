import FleetGit
import FleetModel
import Foundation

/// Keeping the record a hash chain as notes are written (``RecordChain``).
///
/// A commit's first note is appended to the chain: it links to the last note's commit and digest. A later
/// rewrite of a note (its rollout went on, an operator acted) changes its digest, so every note after it in the
/// chain is re-linked, and re-signed, in the same write; the re-linking stops at the first note whose text comes
/// out unchanged. Usually the note rewritten is the last one and nothing follows it; a commit rejected while
/// the one before it still rolls out is the common case of one note to re-link.
extension AnnotationWriter {
    /// Writes `annotation` as the note on `commit`, linked to the note before it in the chain and signed.
    func writeLinked(_ annotation: StatusAnnotation, on commit: CommitID) async throws {
        var order = try await chainOrder()
        guard let index = order.firstIndex(of: commit) else {
            let previous = try await linkTarget(before: order.endIndex, in: order)
            _ = try await write(annotation, on: commit, after: previous)
            order.append(commit)
            try await settle(order)
            return
        }
        var previous = try await linkTarget(before: index, in: order)
        guard var written = try await write(annotation, on: commit, after: previous) else {
            try await settle(order)
            return
        }
        previous = (commit, written)
        for next in order[(index + 1)...] {
            guard let text = try await repository.note(on: next, ref: notesRef),
                let existing = try? StatusAnnotation(yaml: text)
            else { continue }
            guard let rewritten = try await write(existing, on: next, after: previous) else { break }
            written = rewritten
            previous = (next, written)
        }
        try await settle(order)
    }

    /// Reads the chain afresh, the remote's notes merged in, before the next write: for a replica that has just
    /// become leader.
    public func forgetChain() {
        chain = nil
    }

    /// The chain as of the local notes ref: kept from the last write when the ref has not moved since, else read
    /// from every note (the notes merged from the remote may hold another writer's). Before the first read the
    /// remote's notes are merged in, so a replica that has just become leader links to the last note its
    /// predecessor pushed rather than to a stale copy; a remote that cannot be reached leaves the local notes.
    private func chainOrder() async throws -> [CommitID] {
        if chain == nil && pushes {
            do {
                try await repository.fetchNotes(ref: notesRef)
            } catch {
                logger.warning(
                    "the remote's notes could not be fetched before linking the record; linking to the local notes: \(error)"
                )
            }
        }
        let tip = try await repository.notesTip(ref: notesRef)
        if let chain, tip == chainTip { return chain }
        let notes = try await repository.notes(ref: notesRef).map { note in
            RecordChain.Note(
                commit: note.commit.hex, text: note.text, annotation: try? StatusAnnotation(yaml: note.text))
        }
        let order = RecordChain.order(notes).compactMap(CommitID.init(hex:))
        chain = order
        chainTip = tip
        return order
    }

    private func settle(_ order: [CommitID]) async throws {
        chain = order
        chainTip = try await repository.notesTip(ref: notesRef)
    }

    /// The nearest note before position `index` of the chain that is still there, with its text.
    private func linkTarget(before index: Int, in order: [CommitID]) async throws -> (CommitID, String)? {
        for commit in order[..<index].reversed() {
            if let text = try await repository.note(on: commit, ref: notesRef) { return (commit, text) }
        }
        return nil
    }

    /// Writes `annotation` on `commit` linked to `previous` and signed; returns the text written, or nil when the
    /// note already read exactly so (nothing written, so nothing after it needs re-linking).
    private func write(_ annotation: StatusAnnotation, on commit: CommitID, after previous: (CommitID, String)?)
        async throws -> String?
    {
        var linked = annotation
        linked.previous = previous.map {
            StatusAnnotation.ChainLink(commit: $0.0.hex, digest: RecordChain.digest(of: $0.1))
        }
        let body = linked.yaml()
        let stored = try await repository.note(on: commit, ref: notesRef)
        if let stored, SignedNote(text: stored).body == body,
            (signer == nil) == (SignedNote(text: stored).signature == nil)
        {
            return nil
        }
        var text = body
        if let signer {
            do {
                text = try await signer.sign(body)
            } catch {
                logger.error(
                    "the note on \(commit.short) is written unsigned, so `gitfleet audit verify` will report it: \(error)",
                    metadata: ["commit": "\(commit.hex)"])
            }
        }
        try await repository.setNote(text, on: commit, ref: notesRef, author: signature())
        return text
    }
}
