import FleetGit
import FleetModel

/// The fleet's record as the `audit` commands read it: every annotated commit of the repository, as a timeline.
enum AuditRecord {
    /// Opens the repository (fetching the notes first for a URL, as `history` does) and reads every annotation
    /// under `notesRef`. A note that does not read as an annotation is a warning line on standard error naming its
    /// commit, and is left out; a repository that cannot be read is an error line, and the command fails.
    static func timeline(_ repository: RepositoryOptions, notesRef: String) throws -> AuditTimeline {
        do {
            let (repo, _) = try repository.open()
            if repository.isRemote { try repo.fetchNotes(ref: notesRef) }
            let history = try repo.deploymentHistory(notesRef: notesRef)
            for problem in history.unreadable { Terminal.error("warning: \(problem)") }
            return AuditTimeline(history.entries)
        } catch {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
    }
}
