import FleetController
import FleetModel
import FleetPlanner

/// What the HTTP server needs from the controller, and all it may ask of it.
///
/// The controller implements this; the server never reaches into the controller's internals, so either side can
/// change without the other, and the server's logic can be tested against a fake. Every method must be cheap and
/// must not wait on a reconcile pass: health checks and scrapes call them on every request, with timeouts of a
/// few seconds. Return a snapshot of what the controller last observed instead of observing anew.
public protocol ControllerEndpoint: Sendable {
    /// The branch of the fleet repository the controller deploys from, e.g. `main` (no `refs/heads/`).
    /// A webhook push to any other ref is acknowledged and ignored.
    var trackedBranch: String { get }

    /// Whether the controller can do its job now, with one reason per thing that stops it. `/readyz` answers 200
    /// when `ready` and 503 otherwise.
    func readiness() async -> Readiness

    /// The fleet as the controller last saw it, for `GET /api/v1/status`.
    func status() async -> StatusDocument

    /// One service in detail, for `GET /api/v1/services/{name}`; `nil` when the controller knows no such service
    /// (neither desired nor running), which the server answers with 404.
    func service(named name: String) async -> ServiceDocument?

    /// The live-state document (docs/live-state.md), for `GET /api/v1/live`: what `gitfleet plan --server`
    /// plans against. `nil` when the controller keeps no registry to read it from (404); what it throws means
    /// the registry could not be read now (503), never an empty document that would plan the fleet from nothing.
    func live() async throws -> LiveStateDocument?

    /// Asks for a reconcile pass soon (e.g. fetch now because a webhook announced a push to the tracked branch).
    ///
    /// Must return without waiting for the pass: the webhook sender times out after a few seconds. Triggers that
    /// arrive while a pass is pending may be coalesced into one.
    func trigger(_ reason: TriggerReason) async

    /// The serving set once its index differs from `index`, waiting up to `wait` for that (a long poll);
    /// at once when `index` is nil. `nil` when the controller publishes no serving set (404).
    func discovery(changedFrom index: String?, wait: Duration) async -> DiscoveryDocument?

    /// Keeps a discovery agent's latest report, for `POST /api/v1/agents/{name}` (leader and standby alike); a
    /// report that lets a held publication go asks for a pass. `false` when the controller keeps no agents (404).
    func receiveAgentReport(_ report: AgentReport, from name: String) async -> Bool

    /// Every required agent and every agent heard of, for `GET /api/v1/agents`; `nil` when the controller keeps no
    /// agents (404).
    func agents() async -> AgentsDocument?

    /// The controller's event log, for `GET /api/v1/events` (the ring as JSON, or a live Server-Sent Events
    /// stream); `nil` when the controller keeps none (404).
    var events: EventLog? { get }

    /// What the controller made of commit `revision` (a full id or an unambiguous prefix), for
    /// `GET /api/v1/commits/{rev}`; `nil` when the controller reads no repository (404). Unlike the methods
    /// above it reads Git, after whatever Git work is under way (a fetch waits at most `gitTimeout`).
    /// Throws ``BadRevision`` for a revision that names no one commit (400); anything else it throws means the
    /// repository could not be read (503).
    func commit(_ revision: String) async throws -> CommitDocument?

    /// Every deployment the controller's notes record, newest first, only those that touched `service` when
    /// one is given, for `GET /api/v1/history`; `nil` when the controller reads no repository (404). What it
    /// throws means the repository could not be read (503).
    func history(service: String?) async throws -> [DeploymentHistoryEntry]?

    /// Forgets a service's failed specs so their rollout starts again, for
    /// `POST /api/v1/services/{name}/retry` (``RolloutRetry``, then an event and a reconcile pass). Throws what
    /// the registry throws (a `RegistryError` with code `.conflict` answers 409). `nil` when this controller
    /// cannot act on the fleet's registry (404). `caller` is who asked (the API token's name, or `anonymous`),
    /// recorded in the `rollout-retried` event and the note of the current commit, with `reason` when given.
    func retry(service: String, by caller: String, reason: String?) async throws -> RolloutRetry.Outcome?

    /// An operator's control of a service (``ServiceControl``: suspend, resume, rollback), for
    /// `POST /api/v1/services/{name}/suspend`, `…/resume` and `…/rollback`: a compare-and-swap in the registry, then
    /// an event, a line in the note of the current commit and a reconcile pass. Throws what the registry throws
    /// (a `RegistryError` with code `.conflict` answers 409). `nil` when this controller cannot act on the fleet's
    /// registry (404).
    func control(_ action: ServiceControl.Action, service: String, attribution: Attribution) async throws
        -> ServiceControl.Outcome?

    /// Promotes a canary past the gate it waits at, or aborts a rollout, for
    /// `POST /api/v1/services/{name}/promote|abort` (``RolloutGate``, then an event naming `caller` and `reason`,
    /// and a reconcile pass). Throws what the registry throws (a `RegistryError` with code `.conflict` answers 409).
    /// `nil` when this controller cannot act on the fleet's registry (404).
    func gate(_ action: GateAction, service: String, by caller: String, reason: String?) async throws
        -> RolloutGate.Outcome?

    /// `suspend` or `resume` of the whole fleet (``ServiceControl/applyToFleet(_:attribution:in:)``), for
    /// `POST /api/v1/suspend` and `POST /api/v1/resume`; otherwise as ``control(_:service:attribution:)``.
    func controlFleet(_ action: ServiceControl.Action, attribution: Attribution) async throws
        -> ServiceControl.Outcome?

    /// The fleet-wide suspension, while there is one, for the status document; nil when none or unknown.
    func fleetSuspension() async -> Attribution?

    /// The newest `tail` lines of an instance's output (``InstanceLogs``), for
    /// `GET /api/v1/services/{name}/instances/{id}/logs`: from the runtime for a live instance, from its registry
    /// record for a failed or quarantined one. `nil` when this controller reads no registry (404).
    func instanceLogs(service: String, instance: String, tail: Int) async throws(InstanceLogs.Unreadable)
        -> InstanceLogs.Answer?
}

extension ControllerEndpoint {
    public func live() async throws -> LiveStateDocument? { nil }
    public func discovery(changedFrom index: String?, wait: Duration) async -> DiscoveryDocument? { nil }
    public var events: EventLog? { nil }
    public func receiveAgentReport(_ report: AgentReport, from name: String) async -> Bool { false }
    public func agents() async -> AgentsDocument? { nil }
    public func commit(_ revision: String) async throws -> CommitDocument? { nil }
    public func history(service: String?) async throws -> [DeploymentHistoryEntry]? { nil }
    public func retry(service: String, by caller: String, reason: String?) async throws -> RolloutRetry.Outcome? {
        nil
    }
    public func control(_ action: ServiceControl.Action, service: String, attribution: Attribution) async throws
        -> ServiceControl.Outcome?
    { nil }
    public func gate(_ action: GateAction, service: String, by caller: String, reason: String?) async throws
        -> RolloutGate.Outcome?
    { nil }
    public func controlFleet(_ action: ServiceControl.Action, attribution: Attribution) async throws
        -> ServiceControl.Outcome?
    { nil }
    public func fleetSuspension() async -> Attribution? { nil }
    public func instanceLogs(service: String, instance: String, tail: Int) async throws(InstanceLogs.Unreadable)
        -> InstanceLogs.Answer?
    { nil }
}

/// A revision in a request that names no one commit: not a commit id at all (`bad_revision`), or a prefix of
/// several objects (`ambiguous_revision`).
public struct BadRevision: Error, Sendable {
    /// The error code of the 400 answer.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public static func notACommit(_ message: String) -> BadRevision { .init(code: "bad_revision", message: message) }
    public static func ambiguous(_ message: String) -> BadRevision {
        .init(code: "ambiguous_revision", message: message)
    }
}
