import FleetGit
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import Logging
import ServiceLifecycle

/// The controller's parts, composed: what `gitfleet serve` runs and what its HTTP server asks.
///
/// A commit travels through them as a value:
///
/// ```
/// RepositoryWatcher ──DetectedCommit──> CommitAdmission ──Admission──> Reconciler ──> Converger
///   (poll, webhooks;      (history, signature,        (passes, safe point)      │
///    Git thread)           manifests, images)                                   v
///                                                      DeploymentTracker ──NoteRequest──> AnnotationWriter
///                                                                                        (note, push, retry)
/// InstanceObserver (exits, probes between passes) ──"reconcile now"──> Reconciler
/// ```
///
/// Each part with a loop is a `Service`; ``services`` lists them in the order a `ServiceGroup` starts them
/// (and stops them in reverse: the reconciler stops at a safe point first, the annotation writer last).
/// Built by ``ControllerBootstrap``.
public final class Controller: Sendable {
    public let configuration: ControllerConfiguration
    public let repository: TrackedRepository
    public let watcher: RepositoryWatcher
    public let admission: CommitAdmission
    public let reconciler: Reconciler
    public let annotations: AnnotationWriter
    public let observer: InstanceObserver
    public let discovery: DiscoveryPublisher
    public let metrics: FleetMetrics
    public let leadership: LeaderElection?
    /// The event stream every part tells into. A `Service` of its own: run it after the HTTP server (see
    /// ``EventLog``), so its live streams end before the server waits for its requests.
    public let events: EventLog
    /// Reports outcomes to commit statuses, Slack and webhooks, off the reconcile loop.
    public let notifier: Notifier
    /// Where people reach this controller, for links; the HTTP server tells it where it listens.
    public let address: ControllerAddress
    /// The discovery agents' latest reports, on every replica (leader or standby), and the gate of drains.
    public let agents: AgentRoster

    init(
        configuration: ControllerConfiguration, repository: TrackedRepository, watcher: RepositoryWatcher,
        admission: CommitAdmission, reconciler: Reconciler, annotations: AnnotationWriter,
        observer: InstanceObserver, discovery: DiscoveryPublisher, metrics: FleetMetrics, leadership: LeaderElection?,
        events: EventLog, notifier: Notifier, address: ControllerAddress, agents: AgentRoster
    ) {
        self.agents = agents
        self.configuration = configuration
        self.repository = repository
        self.watcher = watcher
        self.admission = admission
        self.reconciler = reconciler
        self.annotations = annotations
        self.observer = observer
        self.discovery = discovery
        self.metrics = metrics
        self.leadership = leadership
        self.events = events
        self.notifier = notifier
        self.address = address
    }

    /// The parts to run, in start order.
    public var services: [any Service] { [annotations, notifier, agents, watcher, admission, observer, reconciler] }

    /// Keeps a discovery agent's report (`POST /api/v1/agents/{name}`); one that lets a held publication go asks
    /// for a pass at once, so a drain waits for the agent and not for the next tick.
    public func receive(_ report: AgentReport, from agent: String) async {
        if await agents.receive(report, from: agent) { reconciler.requestPass() }
    }

    /// Asks for a look at the branch at once (a webhook saw a push), naming the revision when the sender did.
    public func requestFetch(revision: String?, delivery: String?) {
        watcher.trigger(revision: revision, delivery: delivery)
    }

    /// Why the controller is not ready, if it is not: Git, note pushes, the registry or discovery failing, or no
    /// desired state yet. A standby is ready while it can reach etcd: it is ready to take over.
    public func readinessProblems() async -> [String] {
        if let leadership, !(await reconciler.isLeading) {
            return await leadership.problem.map { ["registry: \($0)"] } ?? []
        }
        let git = await watcher.readinessProblems()
        var problems = git
        problems += await annotations.readinessProblems()
        problems += await reconciler.readinessProblems()
        problems += await agents.readinessProblems()
        if !(await reconciler.hasDesiredState) && git.isEmpty { problems.append("no desired state read yet") }
        return problems
    }

    /// What is degraded while the controller stays ready: notification targets whose deliveries fail.
    public func degradations() -> [String] { notifier.readinessProblems() }

    /// What the controller knows now, for the status API.
    public func snapshot() async -> ControllerSnapshot {
        var role = "leader"
        var leader: String? = configuration.controllerID
        if let leadership, case .follower(let holder) = await leadership.role {
            role = "standby"
            leader = holder
        }
        let loop = await reconciler.snapshot()
        let health = await watcher.health()
        let freeze = await reconciler.freezeStatus()
        var snapshot = ControllerSnapshot(
            fleet: loop.fleet, revision: loop.revision?.hex, fetchedRevision: health.lastSeen?.hex,
            deploying: loop.deploying?.hex, lastPassAt: loop.lastPassAt, services: loop.services, role: role,
            leader: leader,
            rejected: loop.rejected.map { ControllerSnapshot.Rejection(revision: $0.commit.hex, reason: $0.reason) })
        snapshot.lastFetchAt = health.lastFetchAt
        snapshot.openFreezeWindows = freeze.open
        snapshot.nextFreezeWindow = freeze.next
        return snapshot
    }
}

/// A moment's view of the controller, for the status API.
public struct ControllerSnapshot: Sendable {
    /// A commit admission turned away, while no later commit was admitted.
    public struct Rejection: Sendable {
        public var revision: String
        public var reason: String
    }

    public var fleet: String?
    /// The last commit that converged.
    public var revision: String?
    /// The head last seen on the tracked branch.
    public var fetchedRevision: String?
    /// When the remote last answered: a fetch, or a head lookup that found nothing new.
    public var lastFetchAt: Date?
    /// The commit being rolled out, if any.
    public var deploying: String?
    public var lastPassAt: Date?
    public var services: [ServiceConvergence]
    /// `leader` when this controller acts on the fleet, `standby` while another one does.
    public var role: String
    /// The identity of the controller that leads, when known.
    public var leader: String?
    /// The newest head, when admission rejected it (the fleet keeps running the last admitted commit).
    public var rejected: Rejection?
    /// The freeze windows open now, each with when it closes.
    public var openFreezeWindows: [OpenFreezeWindow] = []
    /// The next freeze window to open.
    public var nextFreezeWindow: UpcomingFreezeWindow?

    /// The fleet's phase, the `result` of `/api/v1/status`.
    public var phase: FleetPhase {
        FleetPhase.of(
            services: services.map(\.phase.name), deploying: deploying != nil, rejected: rejected != nil,
            standby: role == "standby")
    }
}
