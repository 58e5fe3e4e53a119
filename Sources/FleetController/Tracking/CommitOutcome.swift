import FleetGit
import FleetModel

/// What the controller made of one commit, as its notes tell it: what `GET /api/v1/commits/{rev}` answers and
/// `gitfleet wait` waits on.
///
/// A commit is often never deployed alone: a merge queue or a second merge pushed before the controller fetched
/// means the controller deploys a descendant, which carries the commit's change. So the outcome is decided by
/// the commit's own note or, when that says nothing final, by the nearest descendant on the tracked branch that
/// the controller noted. Notes are the record because they are what the controller wrote when it acted, and they
/// outlive restarts and fail-overs; the live status only knows the latest commit.
public struct CommitOutcome: Hashable, Sendable {
    /// Where a commit stands. The settled states are the annotation results of the same name.
    public enum State: String, CaseIterable, Hashable, Sendable, Codable {
        /// The repository does not hold the commit (not fetched yet, or never pushed to the tracked branch).
        case unknown
        /// The repository holds it, but neither it nor a descendant on the tracked branch has a note yet.
        case pending
        case inProgress = "in-progress"
        case converged
        case failed
        case rolledBack = "rolled-back"
        case rejected
        /// A newer commit took over before this one settled, and no descendant's note is final yet.
        case superseded

        /// Whether the state is final: no later note changes what the commit's waiter is told.
        public var isSettled: Bool { [.converged, .failed, .rolledBack, .rejected].contains(self) }

        init?(_ result: DeploymentResult) {
            switch result {
            case .inProgress: self = .inProgress
            case .converged: self = .converged
            case .failed: self = .failed
            case .rolledBack: self = .rolledBack
            case .rejected: self = .rejected
            case .superseded: self = .superseded
            // Said of one service only, never of a commit.
            case .removed: return nil
            }
        }
    }

    /// The commit asked about: a full id once resolved, else the revision as asked.
    public var commit: String
    public var state: State
    /// The commit whose note decided `state`: `commit` itself or a descendant. Nil while no note decides.
    public var handledAs: CommitID?
    /// That note.
    public var annotation: StatusAnnotation?

    public init(commit: String, state: State, handledAs: CommitID? = nil, annotation: StatusAnnotation? = nil) {
        self.commit = commit
        self.state = state
        self.handledAs = handledAs
        self.annotation = annotation
    }

    /// The outcome of `commit` from the notes of the commit itself and of its descendants on the tracked branch,
    /// in that order (nearest descendant first; commits without a note left out).
    ///
    /// The first settled note decides: the commit's own result when it settled (a rejected commit stays
    /// rejected whatever came after), else the nearest descendant's that settled, since that deployment carried
    /// the commit's change. Until one settles, the newest note in progress says `in-progress`, and a commit that
    /// was only superseded says `superseded`; with no note at all the commit is `pending`.
    public static func decide(commit: CommitID, notes: [(commit: CommitID, annotation: StatusAnnotation)])
        -> CommitOutcome
    {
        let read = notes.compactMap { note in State(note.annotation.result).map { (note, $0) } }
        if let decided = read.first(where: { $0.1.isSettled })
            ?? read.last(where: { $0.1 == .inProgress }) ?? read.last
        {
            return CommitOutcome(
                commit: commit.hex, state: decided.1, handledAs: decided.0.commit,
                annotation: decided.0.annotation)
        }
        return CommitOutcome(commit: commit.hex, state: .pending)
    }
}

extension TrackedRepository {
    /// What the controller made of `revision` (a full commit id, or an unambiguous prefix of at least 4 hex
    /// digits), read from the notes under `notesRef` on the commit and its descendants up to the tracked
    /// branch's head. Runs on the Git thread, so it never races the watcher's fetches.
    ///
    /// Throws `GitError` `.invalidInput` for a revision that is not hex, `.ambiguous` for a prefix of several
    /// objects, and whatever reading the repository throws.
    public func commitOutcome(of revision: String, notesRef: String) throws -> CommitOutcome {
        let repository = try opened()
        guard let commit = try Self.commitID(revision, in: repository) else {
            return CommitOutcome(commit: revision.lowercased(), state: .unknown)
        }
        var notes: [(commit: CommitID, annotation: StatusAnnotation)] = []
        let head = try? repository.resolve(location.branch)
        let descendants = try head.map { try repository.descendants(of: commit, upTo: $0) } ?? []
        for candidate in [commit] + descendants {
            // A note that does not read as an annotation (written by hand) decides nothing.
            guard let text = try repository.note(on: candidate, ref: notesRef),
                let annotation = try? StatusAnnotation(yaml: text)
            else { continue }
            notes.append((candidate, annotation))
            if CommitOutcome.State(annotation.result)?.isSettled == true { break }
        }
        return CommitOutcome.decide(commit: commit, notes: notes)
    }

    /// The commit `revision` names when the repository holds it; nil when it does not.
    private static func commitID(_ revision: String, in repository: GitRepository) throws -> CommitID? {
        let operation = "look up commit '\(revision)'"
        guard (4...40).contains(revision.count), revision.allSatisfy(\.isHexDigit) else {
            throw GitError(
                .invalidInput, operation: operation,
                message: "'\(revision)' is not a commit id (expected 4 to 40 hex digits)")
        }
        if let full = CommitID(hex: revision) {
            return try repository.contains(full) ? full : nil
        }
        do {
            let found = try repository.resolve(revision)
            // A branch or tag that happens to be spelled in hex is not what a commit id asks for.
            return found.hex.hasPrefix(revision.lowercased()) ? found : nil
        } catch let error as GitError where error.code == .notFound {
            return nil
        }
    }

    /// Every deployment noted under `notesRef` (see `GitRepository.deploymentHistory(notesRef:)`), read on the
    /// Git thread.
    public func deploymentHistory(notesRef: String) throws -> (entries: [DeploymentHistoryEntry], unreadable: [String])
    {
        try opened().deploymentHistory(notesRef: notesRef)
    }
}
