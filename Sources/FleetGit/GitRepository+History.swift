import FleetModel

extension GitRepository {
    /// Every commit that carries a note under `notesRef` that reads as a status annotation, with who made the
    /// commit and what it says: what `gitfleet history` and `GET /api/v1/history` list. Notes that do not read
    /// as an annotation are left out and described in `unreadable` (one sentence each), so one hand-written
    /// note never hides the rest of the record. Unordered; see `DeploymentHistoryEntry.newestFirst`.
    public func deploymentHistory(notesRef: String) throws -> (entries: [DeploymentHistoryEntry], unreadable: [String])
    {
        var unreadable: [String] = []
        let entries = try notes(ref: notesRef).compactMap { note -> DeploymentHistoryEntry? in
            // A note on a commit the repository lacks (pruned, or from another branch never fetched) has no author.
            guard let info = try? commit(note.commit) else { return nil }
            let annotation: StatusAnnotation
            do {
                annotation = try StatusAnnotation(yaml: note.text)
            } catch {
                unreadable.append("the note on \(note.commit.short) is not a gitfleet annotation: \(error)")
                return nil
            }
            return DeploymentHistoryEntry(
                commit: note.commit.hex, author: "\(info.author.name) <\(info.author.email)>",
                committer: "\(info.committer.name) <\(info.committer.email)>", date: info.committer.date,
                summary: info.summary, annotation: annotation)
        }
        return (entries, unreadable)
    }
}
