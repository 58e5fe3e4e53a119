import Foundation

/// One commit of the tracked branch as `gitfleet history` shows it: who changed the fleet, when, and what
/// the controller made of it (nil when the controller has not annotated the commit).
public struct DeploymentHistoryEntry: Hashable, Sendable {
    /// The full commit id.
    public var commit: String
    public var author: String
    /// Who committed it (`Name <email>`), which may differ from the author (a merge, a rebase, a cherry-pick); nil
    /// where the source does not say (an answer of the controller's history API).
    public var committer: String?
    /// The commit's date.
    public var date: Date
    /// The first line of the commit message.
    public var summary: String
    public var annotation: StatusAnnotation?

    public init(
        commit: String, author: String, committer: String? = nil, date: Date, summary: String,
        annotation: StatusAnnotation?
    ) {
        self.commit = commit
        self.author = author
        self.committer = committer
        self.date = date
        self.summary = summary
        self.annotation = annotation
    }

    /// `entries` newest first, keeping only those whose annotation reports on `service` when one is given.
    ///
    /// Newest means the latest commit date; commits with the same date are ordered by the annotation's time
    /// (later first, annotated before unannotated) and then by commit id, so the order never depends on how
    /// the entries were collected.
    public static func newestFirst(_ entries: [DeploymentHistoryEntry], service: String? = nil)
        -> [DeploymentHistoryEntry]
    {
        let selected = entries.filter { entry in
            guard let service else { return true }
            return entry.annotation?.services[service] != nil
        }
        return selected.sorted { left, right in
            if left.date != right.date { return left.date > right.date }
            let leftAt = left.annotation?.at ?? .distantPast
            let rightAt = right.annotation?.at ?? .distantPast
            if leftAt != rightAt { return leftAt > rightAt }
            return left.commit < right.commit
        }
    }
}
