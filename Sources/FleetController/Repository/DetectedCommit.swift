import FleetGit
import Foundation

/// A new head of the tracked branch, as the ``RepositoryWatcher`` found it: the value that travels from
/// detection through admission and the rollout to the commit's note.
public struct DetectedCommit: Sendable, Hashable {
    /// What made the watcher look.
    public enum Trigger: Sendable, Hashable, CustomStringConvertible {
        /// The first look after start (or after this replica became the leader).
        case startup
        /// The poll interval came round.
        case poll
        /// A verified webhook announced a push; its delivery id when the sender gave one.
        case webhook(delivery: String?)

        public var description: String {
            switch self {
            case .startup: return "startup"
            case .poll: return "poll"
            case .webhook(let delivery): return delivery.map { "webhook \($0)" } ?? "webhook"
            }
        }
    }

    public var commit: CommitID
    public var detectedAt: Date
    public var trigger: Trigger

    public init(commit: CommitID, detectedAt: Date = Date(), trigger: Trigger) {
        self.commit = commit
        self.detectedAt = detectedAt
        self.trigger = trigger
    }
}
