import Foundation

/// What `gitfleet audit at TIME` answers: what ran in each service at that moment, who put it there, and what was
/// rolling out then. Made by ``AuditTimeline/moment(at:service:)`` from the status annotations alone.
///
/// Encoded (`--json`) with every key present, `null` where a value does not apply, and times as
/// ``AuditTime/format(_:)`` writes them; docs/cli.md lists every field.
public struct AuditMoment: Hashable, Sendable, Encodable {
    /// The moment asked about.
    public var time: Date
    /// One entry per service the fleet had by then (named by a deployment that had started), by name.
    public var services: [AuditServiceState]
    /// The deployments in progress at `time`, oldest first.
    public var inProgress: [AuditDeployment]

    public init(time: Date, services: [AuditServiceState], inProgress: [AuditDeployment]) {
        self.time = time
        self.services = services
        self.inProgress = inProgress
    }

    enum CodingKeys: String, CodingKey { case time, services, inProgress }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(AuditTime.format(time), forKey: .time)
        try container.encode(services, forKey: .services)
        try container.encode(inProgress, forKey: .inProgress)
    }
}

/// One service at the moment asked about.
public struct AuditServiceState: Hashable, Sendable, Encodable {
    /// What the record says of the service at that moment. The raw values are what `audit at` prints (docs/cli.md
    /// lists every one, and a test holds the two together).
    public enum State: String, CaseIterable, Hashable, Sendable, Encodable {
        /// No deployment had settled the service yet: nothing of it ran.
        case notDeployed = "not-deployed"
        /// It ran ``AuditServiceState/image``, which ``AuditServiceState/deployment`` put there.
        case running
        /// A rollout failed and was rolled back, or an operator rolled the service back: it ran
        /// ``AuditServiceState/image``, its last good image.
        case rolledBack = "rolled-back"
        /// Its rollout in ``AuditServiceState/deployment`` failed with nothing to roll back to (or automatic rollback
        /// off): instances of both its `from` and its `to` may have run.
        case failed
        /// Its rollout in ``AuditServiceState/deployment`` was superseded before it settled: instances of both its
        /// `from` and its `to` may have run until the next deployment settled it.
        case superseded
        /// ``AuditServiceState/deployment`` removed it: nothing of it ran.
        case removed
    }

    public var service: String
    public var state: State
    /// The image (with digest) that ran, for `running` and `rolled-back`; nil otherwise, and for a rollback whose
    /// note does not name the image.
    public var image: String?
    /// When the service entered this state; nil for `not-deployed`.
    public var since: Date?
    /// The deployment that put the service in this state (for `rolled-back`: the one that had put `image` there,
    /// when the record has it), with only this service's change.
    public var deployment: AuditDeployment?
    /// For `rolled-back` by the controller: the deployment whose rollout failed and was rolled back.
    public var rollback: AuditDeployment?
    /// For `rolled-back` by an operator: the `rollback` action.
    public var action: AuditAction?

    public init(
        service: String, state: State, image: String? = nil, since: Date? = nil, deployment: AuditDeployment? = nil,
        rollback: AuditDeployment? = nil, action: AuditAction? = nil
    ) {
        self.service = service
        self.state = state
        self.image = image
        self.since = since
        self.deployment = deployment
        self.rollback = rollback
        self.action = action
    }

    enum CodingKeys: String, CodingKey { case service, state, image, since, deployment, rollback, action }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(service, forKey: .service)
        try container.encode(state, forKey: .state)
        try container.encode(image, forKey: .image)
        try container.encode(since.map(AuditTime.format), forKey: .since)
        try container.encode(deployment, forKey: .deployment)
        try container.encode(rollback, forKey: .rollback)
        try container.encode(action, forKey: .action)
    }
}

/// A deployment as the audit commands show it: the commit, who made it and who signed it, and what its note says
/// of its rollout.
public struct AuditDeployment: Hashable, Sendable, Encodable {
    /// One service's part of the deployment, as the note has it.
    public struct Change: Hashable, Sendable, Encodable {
        public var service: String
        public var result: DeploymentResult
        public var from: String?
        public var to: String?
        /// When the service's rollout settled: `started` plus its `took`, no later than `finished`; nil while it
        /// has not.
        public var settled: Date?
        public var reason: String?

        public init(
            service: String, result: DeploymentResult, from: String?, to: String?, settled: Date?, reason: String?
        ) {
            self.service = service
            self.result = result
            self.from = from
            self.to = to
            self.settled = settled
            self.reason = reason
        }

        enum CodingKeys: String, CodingKey { case service, result, from, to, settled, reason }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(service, forKey: .service)
            try container.encode(result, forKey: .result)
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
            try container.encode(settled.map(AuditTime.format), forKey: .settled)
            try container.encode(reason, forKey: .reason)
        }
    }

    /// The full commit id.
    public var commit: String
    /// The first line of the commit message.
    public var message: String
    /// `Name <email>`.
    public var author: String
    /// `Name <email>`; nil when the source does not say.
    public var committer: String?
    /// `ssh` or `gpg` when the controller verified the commit's signature, else ``unverified``.
    public var signature: String
    /// The allowed signer (SSH principal or OpenPGP fingerprint) the controller verified; nil when unverified or
    /// not recorded.
    public var signer: String?
    public var fleet: String
    /// The controller replica that wrote the note.
    public var controller: String
    /// The deployment's result as its note says now (not as of the moment asked about).
    public var result: DeploymentResult
    /// When the deployment began: the note's `started`, or its `at` for a note written before `started` existed.
    public var started: Date
    /// When every service had settled: the note's `finished`, or for an older note that had settled, its `at`; nil
    /// while it is in progress.
    public var finished: Date?
    public var reason: String?
    public var services: [Change]

    /// The `signature` of a deployment whose note records no verified signature: the controller did not check one
    /// (it does only with `requireSignedCommits`), which does not mean the commit has none.
    public static let unverified = "unverified"

    enum CodingKeys: String, CodingKey {
        case commit, message, author, committer, signature, signer, fleet, controller, result, started, finished,
            reason, services
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(commit, forKey: .commit)
        try container.encode(message, forKey: .message)
        try container.encode(author, forKey: .author)
        try container.encode(committer, forKey: .committer)
        try container.encode(signature, forKey: .signature)
        try container.encode(signer, forKey: .signer)
        try container.encode(fleet, forKey: .fleet)
        try container.encode(controller, forKey: .controller)
        try container.encode(result, forKey: .result)
        try container.encode(AuditTime.format(started), forKey: .started)
        try container.encode(finished.map(AuditTime.format), forKey: .finished)
        try container.encode(reason, forKey: .reason)
        try container.encode(services, forKey: .services)
    }
}

/// An operator's action as the audit commands show it, with the commit whose note records it.
public struct AuditAction: Hashable, Sendable, Encodable {
    public var action: String
    /// The service acted on; nil for the whole fleet.
    public var service: String?
    public var by: String
    public var at: Date
    public var reason: String?
    public var outcome: String?
    /// The commit the fleet was at, whose note records the action.
    public var commit: String

    public init(_ action: OperatorAction, commit: String) {
        self.action = action.action
        service = action.service
        by = action.by
        at = action.at
        reason = action.reason
        outcome = action.outcome
        self.commit = commit
    }

    enum CodingKeys: String, CodingKey { case action, service, by, at, reason, outcome, commit }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(action, forKey: .action)
        try container.encode(service, forKey: .service)
        try container.encode(by, forKey: .by)
        try container.encode(AuditTime.format(at), forKey: .at)
        try container.encode(reason, forKey: .reason)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(commit, forKey: .commit)
    }
}
