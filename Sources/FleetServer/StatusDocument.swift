import FleetModel
import FleetRegistry
import Foundation

/// The fleet at a glance, served by `GET /api/v1/status`.
///
/// Field names are part of the HTTP API (docs/http-api.md): add fields, never rename or remove one. Optional
/// fields are omitted from the JSON when unknown. Dates are ISO 8601 in UTC.
public struct StatusDocument: Codable, Hashable, Sendable {
    /// The fleet's name from `fleet.yaml`, when the desired state was read.
    public var fleet: String?
    /// The branch the controller deploys from.
    public var trackedBranch: String
    /// The commit the fleet is converged to (or converging to, see `result`).
    public var revision: String?
    /// The newest commit fetched from the tracked branch, which may be ahead of `revision` while a rollout runs
    /// or after a rejected commit.
    public var fetchedRevision: String?
    /// When the remote last answered: a fetch of the tracked branch, or a head lookup that found nothing new
    /// to fetch. Stale while the remote fails (readiness then says why).
    public var lastFetchAt: Date?
    /// The fleet's phase: a `FleetPhase` raw value (docs/http-api.md, "Phases").
    public var result: String
    /// When the last reconcile pass ended.
    public var lastReconcileAt: Date?
    /// One entry per service in the desired state or the registry, sorted by name.
    public var services: [ServiceSummary]
    /// `leader` when this controller acts on the fleet, `standby` while another replica leads (etcd registry).
    public var role: String?
    /// The controller that leads, when known.
    public var leader: String?
    /// Whether the serving set reaches the discovery outputs; while it does not, rollouts wait.
    public var discovery: DiscoverySummary?
    /// The discovery agents: every required one and every one heard of (docs/http-api.md, "Agents"), without the
    /// reload output of a failing one; omitted when there are none.
    public var agents: [AgentDocument]?
    /// The freeze windows open now and the next to open; omitted when no window is configured.
    public var freeze: FreezeSummary?
    /// Who suspended the whole fleet, when and why, while it is suspended; omitted otherwise.
    public var suspended: Attribution?

    public init(
        fleet: String? = nil, trackedBranch: String, revision: String? = nil, fetchedRevision: String? = nil,
        result: String, lastReconcileAt: Date? = nil, services: [ServiceSummary] = [], role: String? = nil,
        leader: String? = nil
    ) {
        self.fleet = fleet
        self.trackedBranch = trackedBranch
        self.revision = revision
        self.fetchedRevision = fetchedRevision
        self.result = result
        self.lastReconcileAt = lastReconcileAt
        self.services = services
        self.role = role
        self.leader = leader
    }
}

/// Freeze windows in `StatusDocument.freeze`.
public struct FreezeSummary: Codable, Hashable, Sendable {
    /// The windows open now, the first to close first.
    public var active: [FreezeWindowSummary]
    /// The next window to open, if any will.
    public var next: FreezeWindowSummary?

    public init(active: [FreezeWindowSummary], next: FreezeWindowSummary? = nil) {
        self.active = active
        self.next = next
    }
}

/// One freeze window in `FreezeSummary`.
public struct FreezeWindowSummary: Codable, Hashable, Sendable {
    /// Its name in the `freezeWindows` setting.
    public var name: String
    public var reason: String?
    /// The services it covers; omitted when it covers every service.
    public var services: [String]?
    /// When it opens: set for the next window only.
    public var from: Date?
    /// When it closes.
    public var until: Date

    public init(name: String, reason: String? = nil, services: [String]? = nil, from: Date? = nil, until: Date) {
        self.name = name
        self.reason = reason
        self.services = services
        self.from = from
        self.until = until
    }
}

/// Discovery publication in `StatusDocument.discovery`.
public struct DiscoverySummary: Codable, Hashable, Sendable {
    /// True while the last publication (outputs written, reload command run) failed.
    public var failing: Bool
    /// Why it failed, while it does.
    public var problem: String?
    /// Consecutive failed publications.
    public var failures: Int
    /// When a publication was last confirmed.
    public var lastConfirmedAt: Date?
    /// The required discovery agents the current publication waits on (drains and switches wait); omitted when
    /// none.
    public var waitingAgents: [String]?

    public init(failing: Bool, problem: String? = nil, failures: Int = 0, lastConfirmedAt: Date? = nil) {
        self.failing = failing
        self.problem = problem
        self.failures = failures
        self.lastConfirmedAt = lastConfirmedAt
    }
}

/// One service in `StatusDocument.services`.
public struct ServiceSummary: Codable, Hashable, Sendable {
    public var name: String
    /// Where its convergence stands: a `ServicePhase` raw value (docs/http-api.md, "Phases").
    public var result: String
    /// Desired instance count.
    public var replicas: Int
    /// Instances of the desired spec that are ready or serving.
    public var ready: Int
    /// The image (pinned to a digest) the desired spec runs.
    public var image: String?
    /// Why the service is not converged, when it is not.
    public var reason: String?
    /// Who suspended the service, when and why, while it is suspended; omitted otherwise.
    public var suspended: Attribution?
    /// The spec a `rollback SERVICE` holds the service at, while it does; omitted otherwise.
    public var pinned: PinSummary?
    /// The canary gate its rollout waits at (`result` is `paused`); omitted otherwise.
    public var gate: CanaryGate?

    public init(
        name: String, result: String, replicas: Int, ready: Int, image: String? = nil, reason: String? = nil
    ) {
        self.name = name
        self.result = result
        self.replicas = replicas
        self.ready = ready
        self.image = image
        self.reason = reason
    }
}

/// A rollback's pin in `ServiceSummary.pinned` and `ServiceDocument.pinned`: the spec the service is held at,
/// the commit it came from, and who rolled back, when and why.
public struct PinSummary: Codable, Hashable, Sendable {
    /// The full hash of the spec rolled back to.
    public var specHash: SpecHash
    /// The image (with digest) of that spec.
    public var image: String
    public var revision: String?
    public var by: String
    public var at: Date
    public var reason: String?

    public init(_ pin: RolloutPin) {
        specHash = pin.specHash
        image = pin.spec.image.description
        revision = pin.revision
        by = pin.attribution.by
        at = pin.attribution.at
        reason = pin.attribution.reason
    }
}
