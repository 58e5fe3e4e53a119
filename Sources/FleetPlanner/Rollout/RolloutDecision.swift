import FleetModel

/// What a rollout strategy sees of one service at one instant: its live instances split by whether
/// they run the target spec, and the numbers that bound the rollout.
///
/// Only live records count (pending, starting, ready, serving, draining): draining instances still
/// hold resources, so they count toward the surge ceiling until they are gone.
public struct RolloutSnapshot: Sendable {
    public struct Instance: Hashable, Sendable {
        public var id: String
        public var state: InstanceState
        public var createdAt: Double
        /// When its record last changed state; blueGreen counts the old set's scaleDownDelay from here.
        public var updatedAt: Double

        public init(id: String, state: InstanceState, createdAt: Double, updatedAt: Double? = nil) {
            self.id = id
            self.state = state
            self.createdAt = createdAt
            self.updatedAt = updatedAt ?? createdAt
        }
    }

    /// Instances running the target spec.
    public var current: [Instance]
    /// Instances running any other spec.
    public var old: [Instance]
    public var replicas: Int
    public var maxSurge: Int
    public var maxUnavailable: Int

    public init(current: [Instance], old: [Instance], replicas: Int, maxSurge: Int, maxUnavailable: Int) {
        self.current = current.filter { $0.state.isLive }
        self.old = old.filter { $0.state.isLive }
        self.replicas = replicas
        self.maxSurge = maxSurge
        self.maxUnavailable = maxUnavailable
    }

    /// The snapshot of `instances` against `target`, with the policy's counts resolved against replicas.
    ///
    /// Instances in `expired` run the target spec but are past the service's `maxAge` (see ``PhoenixRotation``):
    /// they count as old, so the strategy replaces them within its usual bounds.
    public init(
        records: [InstanceRecord], target: SpecHash, replicas: Int, rollout: RolloutPolicy, expired: Set<String> = []
    ) {
        let snapshots = records.filter { $0.state.isLive }.map {
            (
                isCurrent: $0.specHash == target && !expired.contains($0.id),
                Instance(
                    id: $0.id, state: $0.state, createdAt: $0.createdAt.timeIntervalSince1970,
                    updatedAt: $0.updatedAt.timeIntervalSince1970)
            )
        }
        self.init(
            current: snapshots.filter(\.isCurrent).map(\.1),
            old: snapshots.filter { !$0.isCurrent }.map(\.1),
            replicas: replicas,
            maxSurge: rollout.maxSurge.resolved(replicas: replicas, roundingUp: true),
            maxUnavailable: rollout.maxUnavailable.resolved(replicas: replicas, roundingUp: false)
        )
    }

    var total: Int { current.count + old.count }
    var serving: Int { (current + old).filter { $0.state == .serving }.count }
}

/// The next moves of a rollout: how many new instances to start and which instances to retire
/// (take out of service, drain and destroy). Applying it and observing again gives the next one;
/// a decision never depends on what was decided before, so a restarted controller picks up exactly
/// where the last one stopped.
public struct RolloutDecision: Hashable, Sendable {
    public var create: Int
    /// Instance ids, oldest first among old instances, to be drained.
    public var retire: [String]
    /// blueGreen's switch, applied in one step: ready instances that start serving, and serving
    /// instances that stop serving but keep running (`ready`) for a switch back.
    public var publish: [String]
    public var unpublish: [String]
    /// The earliest moment (seconds since 1970) a decision may change with nothing else changing:
    /// the end of a scaleDownDelay.
    public var notBefore: Double?

    public init(
        create: Int = 0, retire: [String] = [], publish: [String] = [], unpublish: [String] = [],
        notBefore: Double? = nil
    ) {
        self.create = create
        self.retire = retire
        self.publish = publish
        self.unpublish = unpublish
        self.notBefore = notBefore
    }

    public var isEmpty: Bool { create == 0 && retire.isEmpty && publish.isEmpty && unpublish.isEmpty }

    /// Whether applying it changes what discovery publishes, so it must wait for the current serving
    /// set to be confirmed first.
    public var changesServingSet: Bool { !retire.isEmpty || !publish.isEmpty || !unpublish.isEmpty }
}
