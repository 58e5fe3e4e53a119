import Foundation

/// One row of `gitfleet audit export`: a service's part of a deployment, a rollback, a rejected commit or an
/// operator's action, with who and when. Made by ``AuditTimeline/events(since:until:)``.
///
/// Every field is text (times as ``AuditTime/format(_:)`` writes them) or absent, so the CSV and the JSON forms
/// carry the same values; docs/cli.md lists every column.
public struct AuditEvent: Hashable, Sendable {
    /// What kind of event a row is. The raw values are what the `event` column holds (docs/cli.md lists every one,
    /// and a test holds the two together).
    public enum Kind: String, CaseIterable, Hashable, Sendable {
        /// A service's part of a deployment that was not rolled back (its result in the note is not `rolled-back`).
        case deployment
        /// A service's part of a deployment whose rollout of it failed and was rolled back.
        case rollback
        /// A commit the controller refused to deploy.
        case rejection
        /// Something an operator did (suspend, resume, rollback, retry, promote, abort, …).
        case action
    }

    /// The columns, in the order the CSV has them (and the keys of each JSON object).
    public enum Column: String, CaseIterable, Hashable, Sendable {
        case time, event, commit, fleet, result, service, serviceResult, from, to, finished, author, committer,
            signature, signer, by, action, outcome, reason
    }

    public var time: Date
    public var kind: Kind
    public var commit: String
    public var fleet: String
    /// The note's result (the deployment's, or `rejected`); nil for an action.
    public var result: DeploymentResult?
    public var service: String?
    /// The service's own result in the note; nil for a rejection and an action.
    public var serviceResult: DeploymentResult?
    public var from: String?
    public var to: String?
    public var finished: Date?
    public var author: String?
    public var committer: String?
    public var signature: String?
    public var signer: String?
    /// The controller replica that wrote the note, or for an action the operator.
    public var by: String?
    public var action: String?
    public var outcome: String?
    public var reason: String?

    public init(time: Date, kind: Kind, commit: String, fleet: String) {
        self.time = time
        self.kind = kind
        self.commit = commit
        self.fleet = fleet
    }

    /// The row's value in `column`, as text; nil when it has none.
    public func value(_ column: Column) -> String? {
        switch column {
        case .time: return AuditTime.format(time)
        case .event: return kind.rawValue
        case .commit: return commit
        case .fleet: return fleet
        case .result: return result?.rawValue
        case .service: return service
        case .serviceResult: return serviceResult?.rawValue
        case .from: return from
        case .to: return to
        case .finished: return finished.map(AuditTime.format)
        case .author: return author
        case .committer: return committer
        case .signature: return signature
        case .signer: return signer
        case .by: return by
        case .action: return action
        case .outcome: return outcome
        case .reason: return reason
        }
    }
}
