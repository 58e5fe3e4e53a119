import FleetGit
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import Logging
import ServiceLifecycle

/// The controller as a long-running service: watches the fleet repository, adopts each new commit
/// as the desired state (after checking its signature, its history and its manifests), converges to
/// it pass by pass, and annotates the commit with what happened.
///
/// Between passes is the only place anything changes course (the safe point): a newer commit found
/// there supersedes the rollout in flight, and a graceful shutdown stops there. Git is read cheaply
/// (a remote head lookup) every poll interval and fetched only when the head moved; the fleet is also
/// reconciled every resync interval with no new commit, to heal drift. Failures of Git back off
/// exponentially and show in readiness; the fleet keeps running as it is meanwhile.
public actor ControllerService: Service {
    public nonisolated let configuration: ControllerConfiguration
    let registry: any Registry
    let runtime: any Runtime
    let converger: Converger
    /// The election among replicas sharing an etcd registry; nil when this controller is the only one.
    let leadership: LeaderElection?
    /// Whether this controller acted as leader in its last loop round.
    var leading = false
    /// Publishes the serving set to the configured outputs and the HTTP endpoint.
    public nonisolated let discovery: DiscoveryPublisher
    let logger: Logger
    public nonisolated let metrics: FleetMetrics
    nonisolated let wake = WakeSignal()
    nonisolated let requests = ControllerRequests()

    var repository: GitRepository?
    var source: DesiredStateSource?
    var lastSeenHead: CommitID?
    var gitFailures = 0
    var gitProblem: String?
    /// When the Git operation in flight started; libgit2 has no network timeouts, so a silent remote is
    /// noticed by how long its operation has been waiting.
    var gitWaitingSince: ContinuousClock.Instant?
    var registryProblem: String?
    var desired: Fleet?
    var deployment: Deployment?
    var lastReport: [ServiceConvergence] = []
    var lastDeployed: CommitID?
    /// The newest commit rejected since the last one admitted (vocabulary: the fleet phase says `rejected`).
    var lastRejected: CommitID?
    var lastPassAt: Date?
    let tick: Duration

    public init(
        configuration: ControllerConfiguration,
        registry: any Registry,
        runtime: any Runtime,
        logger: Logger = Logger(label: "gitfleet"),
        metrics: FleetMetrics = FleetMetrics(),
        leadership: LeaderElection? = nil,
        tick: Duration = .milliseconds(200)
    ) {
        self.configuration = configuration
        self.leadership = leadership
        self.registry = registry
        self.runtime = runtime
        self.logger = logger
        self.tick = tick
        self.metrics = metrics
        let discovery = DiscoveryPublisher(
            configuration: configuration.discovery, metrics: metrics,
            log: { [logger] line in logger.notice("\(line)") })
        self.discovery = discovery
        converger = Converger(
            registry: registry, runtime: runtime, options: .init(tick: tick), metrics: metrics, discovery: discovery,
            log: { [logger] line in logger.notice("\(line)") })
    }

    var signaturePolicy: SignaturePolicy {
        SignaturePolicy(
            required: configuration.requireSignedCommits, allowedSignersFile: configuration.allowedSignersFile,
            gpgHome: configuration.gpgHome)
    }

    /// Why the controller is not ready, if it is not: Git, the registry or discovery failing, or no
    /// desired state yet. A standby is ready while it can reach etcd: it is ready to take over.
    public func readinessProblems() async -> [String] {
        var problems: [String] = []
        if let leadership, !leading {
            if let problem = await leadership.problem { problems.append("registry: \(problem)") }
            return problems
        }
        if let gitProblem { problems.append("git: \(gitProblem) (\(gitFailures) failed attempts)") }
        if let gitWaitingSince {
            let waited = ContinuousClock.now - gitWaitingSince
            if waited > max(.seconds(60), configuration.pollInterval * 2) {
                problems.append("git: the remote has not answered for \(waited.components.seconds)s")
            }
        }
        if let registryProblem { problems.append("registry: \(registryProblem)") }
        let discoveryStatus = await discovery.status
        if let problem = discoveryStatus.problem {
            problems.append("discovery: \(problem) (\(discoveryStatus.failures) failed attempts; rollouts wait)")
        }
        if desired == nil && gitProblem == nil { problems.append("no desired state read yet") }
        return problems
    }

    /// What the controller knows now, for the status API.
    public func snapshot() async -> ControllerSnapshot {
        var role = "leader"
        var leader: String? = configuration.controllerID
        if let leadership, case .follower(let holder) = await leadership.role {
            role = "standby"
            leader = holder
        }
        return ControllerSnapshot(
            fleet: desired?.name, revision: lastDeployed?.hex, fetchedRevision: lastSeenHead?.hex,
            deploying: deployment?.commit.hex, rejected: lastRejected?.hex, lastPassAt: lastPassAt,
            services: lastReport,
            role: role, leader: leader)
    }

    /// Asks for a fetch at once (a webhook saw a push); coalesces with any fetch already asked for.
    public nonisolated func requestFetch(reason: String) {
        requests.fetch = true
        wake.signal()
    }

    public func run() async throws {
        let stop = requests
        let wake = self.wake
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                if let leadership = self.leadership {
                    // Campaigns and renewals run beside the loop, so a long pass never lets the lease lapse.
                    group.addTask { await leadership.run() }
                }
                group.addTask { await self.followRolloutChanges() }
                await self.loop()
                // Resigns on the way out (run() ends when cancelled), so a standby takes over at once.
                group.cancelAll()
            }
        } onGracefulShutdown: {
            stop.stop = true
            wake.signal()
        }
    }

    /// Wakes the loop for a pass whenever a rollout state changes in the registry (any registry: its change
    /// feed), so a `gitfleet retry` made from anywhere is acted on at once rather than at the next resync.
    /// Subscribes again while the service runs.
    nonisolated func followRolloutChanges() async {
        while !Task.isCancelled {
            do {
                for try await _ in registry.rolloutStateChanges() {
                    requests.resync = true
                    wake.signal()
                }
            } catch {
                // Registry unreachable: the loop reports it; try again shortly.
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Whether this controller may act now; follows changes of leadership. A new leader starts from what
    /// the registry and the repository say, as if it had just started; a deposed one forgets its rollout.
    func mayAct() async -> Bool {
        guard let leadership else { return true }
        let isLeader = await leadership.isLeader
        if isLeader != leading {
            leading = isLeader
            metrics.setLeader(isLeader)
            if isLeader {
                logger.notice("leading: this controller now acts on the fleet")
            } else {
                logger.warning("standing by: another controller may lead; this one no longer acts")
            }
            lastSeenHead = nil
            desired = nil
            deployment = nil
            lastReport = []
        }
        return isLeader
    }

    func loop() async {
        lastDeployed = ControllerState.load(from: configuration.resolvedStateDirectory).lastDeployed
        var nextPoll = ContinuousClock.now
        var nextResync = ContinuousClock.now
        while !requests.stop && !Task.isCancelled {
            guard await mayAct() else {
                if let records = try? await registry.instances(service: nil).map(\.record) {
                    await discovery.mirror(ServingSet(records: records))
                }
                await wake.wait(timeout: leadership.map { $0.ttl / 6 } ?? tick)
                continue
            }
            let now = ContinuousClock.now
            if requests.takeResync() { nextResync = now }
            if requests.takeFetch() || now >= nextPoll {
                if await poll() { nextResync = now }
                nextPoll = ContinuousClock.now.advanced(by: nextPollDelay())
            }
            let inFlight = deployment != nil || lastReport.contains { !$0.phase.isSettled }
            if desired != nil && (inFlight || ContinuousClock.now >= nextResync) {
                await pass()
                nextResync = ContinuousClock.now.advanced(by: configuration.resyncInterval)
            }
            let stillInFlight = deployment != nil || lastReport.contains { !$0.phase.isSettled }
            let until = stillInFlight ? ContinuousClock.now.advanced(by: tick) : min(nextPoll, nextResync)
            let wait = ContinuousClock.now.duration(to: until)
            await wake.wait(timeout: max(wait, .milliseconds(5)))
        }
        logger.notice("stopped at a safe point")
    }

    /// The poll interval with up to 10% jitter, or a capped exponential back-off while Git fails.
    func nextPollDelay() -> Duration {
        var delay = configuration.pollInterval
        if gitFailures > 0 {
            let factor = 1 << min(gitFailures, 6)
            delay = min(configuration.pollInterval * factor, .seconds(300))
        }
        let jitter = Double.random(in: 0..<0.1)
        return delay + delay * jitter
    }

    /// One reconcile pass; closes the deployment in flight once every service has settled.
    func pass() async {
        guard let desired else { return }
        let started = ContinuousClock.now
        do {
            lastReport = try await converger.reconcile(desired)
            registryProblem = nil
            lastPassAt = Date()
        } catch {
            registryProblem = "\(error)"
            logger.error("reconcile failed: \(error)")
            if let error = error as? RegistryError, error.code == .fenced { await leadership?.fenceRefused() }
            metrics.recordReconcile(result: "error", duration: ContinuousClock.now - started)
            return
        }
        let settled = lastReport.allSatisfy(\.phase.isSettled)
        metrics.recordReconcile(
            result: (settled ? ServicePhase.converged : .inProgress).rawValue, duration: ContinuousClock.now - started)
        for service in lastReport { metrics.setServicePhase(service: service.service, phase: service.phase.name) }
        if let records = try? await registry.instances(service: nil).map(\.record) {
            let byService = Dictionary(grouping: records, by: \.service)
            for service in Set(byService.keys).union(desired.services.map(\.name)) {
                let counts = Dictionary(grouping: byService[service] ?? [], by: \.state).mapValues(\.count)
                metrics.setInstanceCounts(service: service, counts: counts)
            }
        }
        await progress(lastReport)
    }
}

/// Flags set from outside the actor (webhooks, shutdown) and read by its loop.
final class ControllerRequests: @unchecked Sendable {
    private let lock = NSLock()
    private var fetchValue = false
    private var stopValue = false
    private var resyncValue = false

    var fetch: Bool {
        get { lock.withLock { fetchValue } }
        set { lock.withLock { fetchValue = newValue } }
    }

    var stop: Bool {
        get { lock.withLock { stopValue } }
        set { lock.withLock { stopValue = newValue } }
    }

    var resync: Bool {
        get { lock.withLock { resyncValue } }
        set { lock.withLock { resyncValue = newValue } }
    }

    func takeResync() -> Bool {
        lock.withLock {
            defer { resyncValue = false }
            return resyncValue
        }
    }

    func takeFetch() -> Bool {
        lock.withLock {
            defer { fetchValue = false }
            return fetchValue
        }
    }
}

/// What the controller remembers across restarts beyond the registry: the last commit it deployed,
/// to tell a history rewrite from a fast-forward.
struct ControllerState: Codable {
    var lastDeployed: CommitID?

    static func load(from directory: String) -> ControllerState {
        guard let data = FileManager.default.contents(atPath: "\(directory)/controller.json"),
            let state = try? JSONDecoder().decode(ControllerState.self, from: data)
        else { return ControllerState() }
        return state
    }

    func save(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: "\(directory)/controller.json"), options: .atomic)
    }
}

/// A moment's view of the controller, for the status API.
public struct ControllerSnapshot: Sendable {
    public var fleet: String?
    /// The last commit that converged.
    public var revision: String?
    /// The head last seen on the tracked branch.
    public var fetchedRevision: String?
    /// The commit being rolled out, if any.
    public var deploying: String?
    /// The newest commit of the tracked branch when it was rejected and nothing was admitted after it.
    public var rejected: String?
    public var lastPassAt: Date?
    public var services: [ServiceConvergence]
    /// `leader` when this controller acts on the fleet, `standby` while another one does.
    public var role: String
    /// The identity of the controller that leads, when known.
    public var leader: String?

    /// The fleet's phase, the `result` of `/api/v1/status`.
    public var phase: FleetPhase {
        FleetPhase.of(
            services: services.map(\.phase.name), deploying: deploying != nil, rejected: rejected != nil,
            standby: role == "standby")
    }
}
