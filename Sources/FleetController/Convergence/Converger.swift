import FleetModel
import FleetPlanner
import FleetRegistry
import FleetRuntime
import Foundation
import Logging

/// Moves the live fleet toward a desired fleet by replacing instances, one level-triggered pass at a
/// time.
///
/// Every pass recomputes what to do from what the registry records and what the runtime runs; the
/// only memory kept between passes is soft (health probe streaks, creation back-off), so a
/// converger made after a crash continues where the last one stopped. Each change is journaled in
/// the registry before the runtime is touched:
///
/// - create: record `pending` → start in the runtime → record `starting` (a wave's instances together, and the
///   starts of every service's waves of one pass at once, after the pass has looked at every service);
/// - serve: record `serving` once healthy for `minReady`;
/// - retire: record `draining` → wait the drain delay → stop → destroy → delete the record;
/// - fail: record `failed` with the reason → stop, keep the logs → record `quarantined`.
///
/// A crash between any two of these leaves a record that says what was intended, and the next pass
/// finishes or undoes it: a `pending` record is started (starting is idempotent by instance id), a
/// `draining` one is stopped, and a runtime instance with no record at all is drift and is removed.
public actor Converger {
    public struct Options: Sendable {
        /// The longest pause between passes while something is in flight. A pass that changed
        /// something is followed by the next one at once, and a pass that waits for something (a
        /// probe, a drain delay, a deadline) sleeps only until the earliest of those is due.
        public var tick: Duration
        /// How long quarantined instances are kept, stopped, with their logs.
        public var quarantineRetention: Duration
        /// How many quarantined instances are kept per service at most.
        public var quarantineLimit: Int
        /// Log lines quoted in a failure reason.
        public var logLines: Int

        public init(
            tick: Duration = .milliseconds(200),
            quarantineRetention: Duration = .seconds(3600),
            quarantineLimit: Int = 3,
            logLines: Int = 10
        ) {
            self.tick = tick
            self.quarantineRetention = quarantineRetention
            self.quarantineLimit = quarantineLimit
            self.logLines = logLines
        }
    }

    let registry: any Registry
    let runtime: any Runtime
    let options: Options
    /// What only the log says: an instance's failure with the log lines it left (its event omits them),
    /// and each pass at debug level. What an event tells is logged once, by the ``EventLog``.
    let logger: Logger
    /// Where drift and failures are counted, when the converger runs inside a controller service.
    let metrics: FleetMetrics?
    /// Where the serving set is published. With one, no instance leaves the outputs before its
    /// replacement is in them and confirmed, and no drain delay starts before the removal is confirmed.
    let discovery: DiscoveryPublisher?
    /// The discovery agents on the load balancers; with required ones, a publication counts as confirmed only once
    /// each shows it (see ``AgentRoster/hold(_:)``). Nil: the local outputs alone confirm.
    let agents: AgentRoster?
    /// Where instance, drift and rollout events go (see Converger+Events); nil: none are told.
    let events: EventLog?
    /// The values of specs' secrets, read just before an instance starts; nil when no identity is configured.
    let secrets: (any SecretSource)?
    /// Where passes read the time and wait: the system's clocks, or a simulated one in tests.
    public nonisolated let clock: any FleetClock

    /// The readiness streak of each instance (see ``ServiceSpec/readinessCheck``): it gates promotion and, for a
    /// serving instance, membership of ``unready``.
    var health: [String: HealthStreak] = [:]
    /// The liveness streak of each instance whose spec's liveness check differs from its readiness check; when
    /// the two are the same (`health` alone), ``health`` is both and this holds nothing for it.
    var liveness: [String: HealthStreak] = [:]
    /// Serving (or ready) instances whose readiness check has failed `unhealthyThreshold` times in a row and not
    /// passed `healthyThreshold` times since: discovery leaves them out, and nothing replaces them for it.
    /// Soft, like the streaks: a restarted controller publishes them until their probes fail again (see
    /// docs/manifest.md, "Readiness and liveness").
    var unready: Set<String> = []
    var counters: [String: (created: Int, destroyed: Int)] = [:]
    var backoff: [String: CreationBackoff] = [:]
    /// What the current pass learnt for pacing the next one: whether it changed a record, and the
    /// earliest moment something it waits for falls due. Reset at the start of every pass.
    var pacing: PassPacing
    /// When the outputs were confirmed without each draining instance: its drain delay counts from there.
    /// Soft: after a restart the first confirmed publication starts every clock afresh, which only
    /// lengthens a drain.
    var drainClock: [String: Date] = [:]
    /// Each canary's traffic split, from its rollout state and spec, for the serving set's weights.
    var trafficSplits: [String: ServingSet.TrafficSplit] = [:]
    /// Why the last publication was not confirmed, while it is not.
    var discoveryProblem: String?
    /// What the last confirmed publication was built from; nil after one that was not confirmed.
    var lastConfirmedInputs: PublishedInputs?
    /// What the ``InstanceObserver`` probes between passes, by instance id (see ``watch(_:world:)``).
    var watched: [String: WatchedInstance] = [:]
    /// Instances the last pass left starting, ready or serving, whose exit asks for a pass.
    var watchedLive: Set<String> = []
    /// The waves of new instances this pass recorded `pending`, started together after the loop over services.
    var pendingWaves: [PendingWave] = []
    /// Whether an ``InstanceObserver`` probes the watched instances between passes: then a pass leaves serving
    /// instances to it rather than probing them again (each instance is probed once per interval in all).
    var observed = false

    public init(
        registry: any Registry,
        runtime: any Runtime,
        options: Options = Options(),
        metrics: FleetMetrics? = nil,
        discovery: DiscoveryPublisher? = nil,
        events: EventLog? = nil,
        clock: any FleetClock = SystemClock(),
        logger: Logger = Logger(label: "gitfleet.converger"),
        secrets: (any SecretSource)? = nil,
        agents: AgentRoster? = nil
    ) {
        self.secrets = secrets
        self.agents = agents
        self.registry = registry
        self.runtime = runtime
        self.options = options
        self.metrics = metrics
        self.discovery = discovery
        self.events = events
        self.clock = clock
        self.pacing = PassPacing(clock: clock)
        self.logger = logger
    }

    /// Runs passes until every service has settled (converged, rolled back or failed) or `timeout`
    /// passes. `progress` is called after every pass.
    public func converge(
        _ fleet: Fleet,
        timeout: Duration,
        progress: @Sendable ([ServiceConvergence]) -> Void = { _ in }
    ) async throws -> [ServiceConvergence] {
        let deadline = clock.now.advanced(by: timeout)
        var immediatePasses = 0
        while true {
            let report = try await reconcile(fleet)
            progress(report)
            if report.allSatisfy(\.phase.isSettled) { return report }
            let now = clock.now
            if now >= deadline { return report }
            // A change may have unblocked the next step (a new instance to probe, old ones to retire
            // once new ones serve), so look again at once; the bound only guards against a pass that
            // changes something every time, which would otherwise spin.
            if pacing.changed && immediatePasses < PassPacing.maxImmediatePasses {
                immediatePasses += 1
                continue
            }
            immediatePasses = 0
            // At least a millisecond, so that a deadline already past that the pass did not act on
            // cannot make the loop spin.
            let wake = max(
                min(pacing.nextDue ?? deadline, now.advanced(by: options.tick), deadline),
                now.advanced(by: .milliseconds(1)))
            try await clock.sleep(until: wake)
        }
    }

    /// One pass over the whole fleet. `fleet` must carry images pinned to digests.
    public func reconcile(_ fleet: Fleet) async throws -> [ServiceConvergence] {
        pacing = PassPacing(clock: clock)
        pendingWaves = []
        let now = clock.wallTime
        var world = try await observe()
        world.revision = fleet.revision
        world.desiredServices = Set(fleet.services.map(\.name))
        try await healDrift(&world, now: now)
        trafficSplits = canarySplits(fleet, world: world)
        await publishServingSet(world)

        var report: [ServiceConvergence] = []
        var settled = Set<String>()
        for service in DependencyOrder.sorted(fleet.services) {
            let waitingOn = service.dependsOn.filter { !settled.contains($0) }.sorted()
            var convergence: ServiceConvergence
            if waitingOn.isEmpty {
                convergence = try await reconcile(service: service, world: &world, now: now)
            } else {
                convergence = summary(of: service.name, target: service, world: world, phase: .waiting(on: waitingOn))
            }
            if convergence.phase == .converged { settled.insert(service.name) }
            convergence.created = counters[service.name]?.created ?? 0
            convergence.destroyed = counters[service.name]?.destroyed ?? 0
            report.append(convergence)
        }
        try await startWaves(in: &world, now: now)

        let desired = Set(fleet.services.map(\.name))
        let removed = Set(world.records.values.filter { $0.state.isLive }.map(\.service)).subtracting(desired)
        for service in removed.sorted() {
            var convergence = try await remove(service: service, world: &world, now: now)
            convergence.created = counters[service]?.created ?? 0
            convergence.destroyed = counters[service]?.destroyed ?? 0
            report.append(convergence)
        }
        for state in world.rolloutVersions.values.map(\.record)
        where !desired.contains(state.service) && !removed.contains(state.service) {
            try await registry.commit([state.removal])
        }
        try await pruneQuarantine(&world, now: now)
        await publishServingSet(world)
        watch(fleet, world: world)
        logger.debug(
            "pass: \(report.filter(\.phase.isSettled).count) of \(report.count) services settled",
            metadata: fleet.revision.map { ["commit": "\($0)"] } ?? [:])
        return report
    }
}

/// What one pass sees: the registry's records and rollout states, and the runtime's inventory.
///
/// Records are indexed by service once, when the world is observed, and the index is kept right by the only
/// two ways a pass changes a record, ``set(_:)`` and ``remove(_:)``: a pass asks for a service's records
/// several times, and filtering and sorting every record of the fleet each time made an idle pass over
/// 1,000 instances cost ~0.4 s (docs/performance.md, (e)).
struct ObservedWorld {
    /// Every record by instance id. Read-only outside: change it with ``set(_:)`` or ``remove(_:)``.
    private(set) var records: [String: InstanceRecord]
    /// Each service's records sorted by (createdAt, id): what ``records(of:)`` answers.
    private var byService: [String: [InstanceRecord]]
    /// Each service's rollout state with the registry version it was read at: the pass writes it back only if
    /// nobody wrote it since (an operator's suspend, rollback, promote, abort or retry is never overwritten).
    var rolloutVersions: [String: Versioned<RolloutState>]
    var inventory: [String: RuntimeInstance]
    /// The commit the desired fleet was read from; new instances and rollouts record it.
    var revision: String? = nil
    /// The services of the desired fleet: discovery keeps a block for each, even with no instance yet.
    var desiredServices: Set<String> = []

    init(
        records: [String: InstanceRecord], rolloutVersions: [String: Versioned<RolloutState>],
        inventory: [String: RuntimeInstance]
    ) {
        self.records = records
        self.rolloutVersions = rolloutVersions
        self.inventory = inventory
        self.byService = Dictionary(grouping: records.values, by: \.service).mapValues { $0.sorted(by: Self.order) }
    }

    /// A service's records, oldest first (by createdAt, then id).
    func records(of service: String) -> [InstanceRecord] {
        byService[service] ?? []
    }

    /// Adds or replaces a record, keeping its service's records in order.
    mutating func set(_ record: InstanceRecord) {
        if let old = records[record.id] { unindex(old) }
        records[record.id] = record
        var list = byService[record.service] ?? []
        let index = list.firstIndex { Self.order(record, $0) } ?? list.endIndex
        list.insert(record, at: index)
        byService[record.service] = list
    }

    /// Removes a record, if there is one.
    mutating func remove(_ id: String) {
        guard let old = records.removeValue(forKey: id) else { return }
        unindex(old)
    }

    private mutating func unindex(_ record: InstanceRecord) {
        guard var list = byService[record.service] else { return }
        list.removeAll { $0.id == record.id }
        byService[record.service] = list.isEmpty ? nil : list
    }

    private static func order(_ a: InstanceRecord, _ b: InstanceRecord) -> Bool {
        (a.createdAt, a.id) < (b.createdAt, b.id)
    }
}

/// Consecutive probe results of one instance. Soft state: lost on restart, rebuilt by probing again.
struct HealthStreak {
    var successes = 0
    var failures = 0
    var lastProbe: ContinuousClock.Instant?
    var healthySince: Date?
    var lastDetail = ""
    /// Whether any probe has passed: until one has, a starting instance is probed at the startup interval.
    var everPassed = false

    /// Folds in one probe's result.
    mutating func record(_ result: ProbeResult, at instant: ContinuousClock.Instant) {
        lastProbe = instant
        lastDetail = result.detail
        if result.success {
            everPassed = true
            successes += 1
            failures = 0
        } else {
            failures += 1
            successes = 0
        }
    }
}

/// Exponential back-off on creating instances for a service whose new instances keep failing, so a
/// crash-looping spec does not churn the machine.
struct CreationBackoff {
    var failures = 0
    var notBefore = Date.distantPast

    mutating func recordFailure(now: Date) {
        failures += 1
        let seconds = min(300.0, pow(2.0, Double(min(failures, 9))))
        notBefore = now.addingTimeInterval(seconds)
    }
}

/// How a pass paces the next one (see ``Converger/Options/tick``).
struct PassPacing {
    /// Consecutive passes run without a pause before falling back to the tick.
    static let maxImmediatePasses = 100

    /// The converger's clock, which maps recorded dates onto the instants it sleeps until.
    let clock: any FleetClock

    /// Whether the pass created, promoted, retired, destroyed or failed an instance.
    var changed = false
    /// The earliest moment something the pass waited for falls due.
    var nextDue: ContinuousClock.Instant? = nil

    mutating func due(at instant: ContinuousClock.Instant) {
        nextDue = min(nextDue ?? instant, instant)
    }

    /// Wall-clock deadlines (records carry `Date`s) mapped onto the monotonic clock the pause uses.
    mutating func due(at date: Date) {
        due(at: clock.instant(at: date))
    }
}
