import FleetModel
import Foundation

/// Where one service's rollout stands: what it is moving to, what last worked, and what must not be retried.
///
/// The controller keeps this in the registry, never only in memory, so that a restarted controller resumes
/// a rollout (or its rollback) at the step it had reached.
public struct RolloutState: Hashable, Sendable, Codable {
    public var service: String
    /// The spec the service is being moved to (the desired state at ``targetRevision``).
    public var targetSpecHash: SpecHash
    /// The commit the target came from.
    public var targetRevision: String?
    /// The last spec that ran at full capacity and healthy; what a rollback restores.
    public var lastGoodSpecHash: SpecHash?
    public var lastGoodRevision: String?
    /// The last good spec itself, pinned to its image digest, so a rollback restores exactly what ran
    /// even if a tag has moved since or the commit is no longer reachable.
    public var lastGoodSpec: ServiceSpec?
    /// Specs that failed to roll out; not retried until the spec changes or a retry is asked for.
    public var failedSpecHashes: Set<SpecHash>
    /// The specs of the target and of each failed spec hash (but the last good one, kept in ``lastGoodSpec``),
    /// pinned, sorted by spec hash: what a planner elsewhere needs to name the fields a change makes to a
    /// rollout still in flight or held back (see ``remember(_:)``). Empty in states written before it existed.
    public var triedSpecs: [ServiceSpec]
    public var phase: RolloutPhase
    /// The strategy's step (a canary weight step, a blue-green stage); 0 for a rolling update.
    public var step: Int
    /// When the rollout to the current target began.
    public var startedAt: Date
    /// When the rollout last made progress; the progress deadline counts from here. While the rollout waits at a
    /// canary gate (phase ``RolloutPhase/paused``), when it reached the gate: the deadline does not run there, so
    /// nothing moves it (see ``pausedSince``).
    public var lastProgressAt: Date
    /// What a person should know about the phase (why it failed, what it waits for).
    public var message: String?
    /// The good spec before ``lastGoodSpec`` (pinned), kept when a newer spec became the last good one: what
    /// `gitfleet rollback SERVICE` returns to after a rollout that went well but should not have happened.
    public var previousGoodSpec: ServiceSpec?
    public var previousGoodRevision: String?
    /// Set while an operator has suspended the service: no new spec rolls out, healing goes on.
    public var suspended: Attribution?
    /// Set while an operator's rollback holds the service at an earlier good spec.
    public var pin: RolloutPin?

    public init(
        service: String,
        targetSpecHash: SpecHash,
        targetRevision: String? = nil,
        lastGoodSpecHash: SpecHash? = nil,
        lastGoodRevision: String? = nil,
        lastGoodSpec: ServiceSpec? = nil,
        failedSpecHashes: Set<SpecHash> = [],
        triedSpecs: [ServiceSpec] = [],
        phase: RolloutPhase,
        step: Int = 0,
        startedAt: Date,
        lastProgressAt: Date? = nil,
        message: String? = nil,
        previousGoodSpec: ServiceSpec? = nil,
        previousGoodRevision: String? = nil,
        suspended: Attribution? = nil,
        pin: RolloutPin? = nil
    ) {
        self.service = service
        self.targetSpecHash = targetSpecHash
        self.targetRevision = targetRevision
        self.lastGoodSpecHash = lastGoodSpecHash
        self.lastGoodRevision = lastGoodRevision
        self.lastGoodSpec = lastGoodSpec
        self.failedSpecHashes = failedSpecHashes
        self.triedSpecs = triedSpecs
        self.phase = phase
        self.step = step
        self.startedAt = startedAt
        self.lastProgressAt = lastProgressAt ?? startedAt
        self.message = message
        self.previousGoodSpec = previousGoodSpec
        self.previousGoodRevision = previousGoodRevision
        self.suspended = suspended
        self.pin = pin
    }

    private enum CodingKeys: String, CodingKey {
        case service, targetSpecHash, targetRevision, lastGoodSpecHash, lastGoodRevision, lastGoodSpec, failedSpecHashes
        case triedSpecs, phase, step, startedAt, lastProgressAt, message
        case previousGoodSpec, previousGoodRevision, suspended, pin
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            service: try container.decode(String.self, forKey: .service),
            targetSpecHash: try container.decode(SpecHash.self, forKey: .targetSpecHash),
            targetRevision: try container.decodeIfPresent(String.self, forKey: .targetRevision),
            lastGoodSpecHash: try container.decodeIfPresent(SpecHash.self, forKey: .lastGoodSpecHash),
            lastGoodRevision: try container.decodeIfPresent(String.self, forKey: .lastGoodRevision),
            lastGoodSpec: try container.decodeIfPresent(ServiceSpec.self, forKey: .lastGoodSpec),
            failedSpecHashes: try container.decode(Set<SpecHash>.self, forKey: .failedSpecHashes),
            // Absent from states written before it existed.
            triedSpecs: try container.decodeIfPresent([ServiceSpec].self, forKey: .triedSpecs) ?? [],
            phase: try container.decode(RolloutPhase.self, forKey: .phase),
            step: try container.decode(Int.self, forKey: .step),
            startedAt: try container.decode(Date.self, forKey: .startedAt),
            lastProgressAt: try container.decode(Date.self, forKey: .lastProgressAt),
            message: try container.decodeIfPresent(String.self, forKey: .message),
            // These four are absent from states written before operator controls existed.
            previousGoodSpec: try container.decodeIfPresent(ServiceSpec.self, forKey: .previousGoodSpec),
            previousGoodRevision: try container.decodeIfPresent(String.self, forKey: .previousGoodRevision),
            suspended: try container.decodeIfPresent(Attribution.self, forKey: .suspended),
            pin: try container.decodeIfPresent(RolloutPin.self, forKey: .pin))
    }

    // Written by hand only to sort the failed hashes: a set has no order, and the same state must always
    // encode to the same bytes (snapshots are diffed; etcd values are compared).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(service, forKey: .service)
        try container.encode(targetSpecHash, forKey: .targetSpecHash)
        try container.encodeIfPresent(targetRevision, forKey: .targetRevision)
        try container.encodeIfPresent(lastGoodSpecHash, forKey: .lastGoodSpecHash)
        try container.encodeIfPresent(lastGoodRevision, forKey: .lastGoodRevision)
        try container.encodeIfPresent(lastGoodSpec, forKey: .lastGoodSpec)
        try container.encode(failedSpecHashes.sorted(), forKey: .failedSpecHashes)
        if !triedSpecs.isEmpty { try container.encode(triedSpecs, forKey: .triedSpecs) }
        try container.encode(phase, forKey: .phase)
        try container.encode(step, forKey: .step)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(lastProgressAt, forKey: .lastProgressAt)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(previousGoodSpec, forKey: .previousGoodSpec)
        try container.encodeIfPresent(previousGoodRevision, forKey: .previousGoodRevision)
        try container.encodeIfPresent(suspended, forKey: .suspended)
        try container.encodeIfPresent(pin, forKey: .pin)
    }
}

/// The phase of a service's rollout.
public enum RolloutPhase: String, Hashable, Sendable, Codable, CaseIterable {
    /// Converged on the target; nothing to do.
    case idle
    /// Replacing instances to reach the target.
    case progressing
    /// A canary holds at a gate step (`pause: {}`) until an operator promotes it (or aborts it); the progress
    /// deadline does not run meanwhile.
    case paused
    /// The target failed; restoring the last good spec.
    case rollingBack
    /// The last good spec is restored at full capacity; the failed target is remembered.
    case rolledBack
    /// The target failed and there is no good spec to restore (or rollback is off).
    case failed
}
