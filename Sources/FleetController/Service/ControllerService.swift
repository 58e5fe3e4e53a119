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
    var registryProblem: String?
    var desired: Fleet?
    var deployment: Deployment?
    var lastReport: [ServiceConvergence] = []
    var lastDeployed: CommitID?
    var lastPassAt: Date?
    let tick: Duration

    public init(
        configuration: ControllerConfiguration,
        registry: any Registry,
        runtime: any Runtime,
        logger: Logger = Logger(label: "gitfleet"),
        metrics: FleetMetrics = FleetMetrics(),
        tick: Duration = .milliseconds(200)
    ) {
        self.configuration = configuration
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
    /// desired state yet.
    public func readinessProblems() async -> [String] {
        var problems: [String] = []
        if let gitProblem { problems.append("git: \(gitProblem) (\(gitFailures) failed attempts)") }
        if let registryProblem { problems.append("registry: \(registryProblem)") }
        let discoveryStatus = await discovery.status
        if let problem = discoveryStatus.problem {
            problems.append("discovery: \(problem) (\(discoveryStatus.failures) failed attempts; rollouts wait)")
        }
        if desired == nil && gitProblem == nil { problems.append("no desired state read yet") }
        return problems
    }

    /// What the controller knows now, for the status API.
    public func snapshot() -> ControllerSnapshot {
        ControllerSnapshot(
            fleet: desired?.name, revision: lastDeployed?.hex, fetchedRevision: lastSeenHead?.hex,
            deploying: deployment?.commit.hex, lastPassAt: lastPassAt, services: lastReport)
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
            await self.loop()
        } onGracefulShutdown: {
            stop.stop = true
            wake.signal()
        }
    }

    func loop() async {
        lastDeployed = ControllerState.load(from: configuration.resolvedStateDirectory).lastDeployed
        var nextPoll = ContinuousClock.now
        var nextResync = ContinuousClock.now
        while !requests.stop && !Task.isCancelled {
            let now = ContinuousClock.now
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
            metrics.recordReconcile(result: "error", duration: ContinuousClock.now - started)
            return
        }
        let settled = lastReport.allSatisfy(\.phase.isSettled)
        metrics.recordReconcile(result: settled ? "converged" : "progressing", duration: ContinuousClock.now - started)
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

    var fetch: Bool {
        get { lock.withLock { fetchValue } }
        set { lock.withLock { fetchValue = newValue } }
    }

    var stop: Bool {
        get { lock.withLock { stopValue } }
        set { lock.withLock { stopValue = newValue } }
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
    public var lastPassAt: Date?
    public var services: [ServiceConvergence]
}
