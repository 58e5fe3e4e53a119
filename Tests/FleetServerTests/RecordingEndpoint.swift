import FleetController
import FleetModel
import FleetPlanner
import FleetRegistry
import FleetServer
import Foundation
import GitFleetTesting

/// A controller stand-in that answers with fixed documents and records every trigger, so the server's logic can
/// be checked without a real fleet. The lead's integration tests run the server against the real controller.
actor RecordingEndpoint: ControllerEndpoint {
    nonisolated let trackedBranch: String
    nonisolated let events: EventLog?
    private(set) var triggers: [TriggerReason] = []
    var currentReadiness: Readiness = .ready
    var statusDocument: StatusDocument
    var services: [String: ServiceDocument]

    init(trackedBranch: String = "main", events: EventLog? = nil) {
        self.trackedBranch = trackedBranch
        self.events = events
        let created = Date(timeIntervalSince1970: 1_790_000_000)
        self.statusDocument = StatusDocument(
            fleet: "production", trackedBranch: trackedBranch, revision: "8c1f0e2a", fetchedRevision: "9d2a1b3c",
            result: "in-progress", lastReconcileAt: created,
            services: [
                ServiceSummary(name: "api", result: "converged", replicas: 2, ready: 2, image: "shop/api@sha256:aa"),
                ServiceSummary(
                    name: "web", result: "in-progress", replicas: 3, ready: 1, image: "shop/web@sha256:bb",
                    reason: "waiting for 2 instances to become healthy"),
            ]
        )
        self.services = [
            "web": ServiceDocument(
                name: "web", result: "in-progress", replicas: 3, ready: 1, image: "shop/web@sha256:bb",
                specHash: "5f3e", revision: "9d2a1b3c", reason: "waiting for 2 instances to become healthy",
                instances: [
                    InstanceDocument(
                        id: "web-5f3e-1", state: "serving", specHash: "5f3e", image: "shop/web@sha256:bb",
                        revision: "9d2a1b3c", address: "127.0.0.1", ports: ["http": 41001], createdAt: created,
                        updatedAt: created)
                ])
        ]
    }

    /// The document served at `/api/v1/live`, when set.
    var liveDocument: LiveStateDocument?

    func setLive(_ document: LiveStateDocument) {
        liveDocument = document
    }

    /// Makes `live()` throw, as a registry that cannot be read does.
    var liveError: RegistryError?

    func setLiveError(_ error: RegistryError?) {
        liveError = error
    }

    func live() async throws -> LiveStateDocument? {
        if let liveError { throw liveError }
        return liveDocument
    }

    /// The serving set served at `/api/v1/discovery`, when set.
    var publisher: DiscoveryPublisher?

    func setPublisher(_ publisher: DiscoveryPublisher) {
        self.publisher = publisher
    }

    func discovery(changedFrom index: String?, wait: Duration) async -> DiscoveryDocument? {
        guard let publisher else { return nil }
        return DiscoveryDocument(await publisher.view(changedFrom: index, wait: wait))
    }

    /// The discovery agents behind `/api/v1/agents`, when set (see AgentsEndpointTests).
    var roster: AgentRoster?

    func setRoster(_ roster: AgentRoster) {
        self.roster = roster
    }

    /// What `POST /api/v1/services/{name}/retry` is told, per service; a service missing here is unknown.
    /// `retryUnavailable` makes the endpoint one that cannot act on a fleet; `retryError` one whose registry
    /// refuses the write.
    var retryOutcomes: [String: RolloutRetry.Outcome] = [:]
    var retryUnavailable = false
    var retryError: RegistryError?
    private(set) var retries: [String] = []
    /// Who asked each retry (`APIAuthentication`'s caller).
    private(set) var retryCallers: [String] = []

    func setRetry(_ outcomes: [String: RolloutRetry.Outcome], unavailable: Bool = false, error: RegistryError? = nil) {
        retryOutcomes = outcomes
        retryUnavailable = unavailable
        retryError = error
    }

    func retry(service: String, by caller: String, reason: String?) async throws -> RolloutRetry.Outcome? {
        retries.append(service)
        retryCallers.append(caller)
        if let retryError { throw retryError }
        if retryUnavailable { return nil }
        return retryOutcomes[service] ?? .unknownService
    }

    /// What the control routes are told, per service; a service not named is unknown.
    var controlOutcomes: [String: ServiceControl.Outcome] = [:]
    /// Every control asked, with its attribution.
    private(set) var controls: [(action: ServiceControl.Action, service: String, attribution: Attribution)] = []

    func setControls(_ outcomes: [String: ServiceControl.Outcome]) {
        controlOutcomes = outcomes
    }

    func control(_ action: ServiceControl.Action, service: String, attribution: Attribution) async throws
        -> ServiceControl.Outcome?
    {
        controls.append((action, service, attribution))
        return controlOutcomes[service] ?? .unknownService
    }

    /// What `POST /api/v1/services/{name}/promote|abort` is told, per service; a service missing here is unknown.
    var gateOutcomes: [String: RolloutGate.Outcome] = [:]
    /// Each action asked: what, of which service, by whom, why.
    private(set) var gateCalls: [(action: GateAction, service: String, caller: String, reason: String?)] = []

    func setGate(_ outcomes: [String: RolloutGate.Outcome]) {
        gateOutcomes = outcomes
    }

    func gate(_ action: GateAction, service: String, by caller: String, reason: String?) async throws
        -> RolloutGate.Outcome?
    {
        gateCalls.append((action, service, caller, reason))
        return gateOutcomes[service] ?? .unknownService
    }

    func controlFleet(_ action: ServiceControl.Action, attribution: Attribution) async throws
        -> ServiceControl.Outcome?
    {
        controls.append((action, "", attribution))
        return action == .suspend ? .suspended(attribution) : .refused("the fleet is not suspended")
    }

    /// What the logs route is told, per instance id; nil (the default) is a server that reads no registry.
    var logs: [String: Result<InstanceLogs.Answer, InstanceLogs.Unreadable>]?
    private(set) var logTails: [Int] = []

    func setLogs(_ logs: [String: Result<InstanceLogs.Answer, InstanceLogs.Unreadable>]) {
        self.logs = logs
    }

    func instanceLogs(service: String, instance: String, tail: Int) async throws(InstanceLogs.Unreadable)
        -> InstanceLogs.Answer?
    {
        logTails.append(tail)
        guard let logs else { return nil }
        return try (logs[instance] ?? .success(.instanceNotFound)).get()
    }

    func setStatus(_ document: StatusDocument) {
        statusDocument = document
    }

    func setReadiness(_ readiness: Readiness) {
        currentReadiness = readiness
    }

    func readiness() async -> Readiness { currentReadiness }
    func status() async -> StatusDocument { statusDocument }
    func service(named name: String) async -> ServiceDocument? { services[name] }
    func trigger(_ reason: TriggerReason) async { triggers.append(reason) }

    /// What `/api/v1/commits/{rev}` and `/api/v1/history` answer, when set; a revision of `bad` throws
    /// `BadRevision`, anything else `repositoryFailure` when that is set.
    var commits: [String: CommitDocument]?
    var historyEntries: [DeploymentHistoryEntry]?
    var repositoryFailure: String?

    func setCommits(_ commits: [String: CommitDocument], history: [DeploymentHistoryEntry], failure: String? = nil) {
        self.commits = commits
        historyEntries = history
        repositoryFailure = failure
    }

    func commit(_ revision: String) async throws -> CommitDocument? {
        if revision == "bad" { throw BadRevision.notACommit("'bad' is not a commit id") }
        if let repositoryFailure { throw FixtureError(repositoryFailure) }
        return commits.map {
            $0[revision]
                ?? CommitDocument(CommitOutcome(commit: revision, state: .unknown), trackedBranch: trackedBranch)
        }
    }

    func history(service: String?) async throws -> [DeploymentHistoryEntry]? {
        if let repositoryFailure { throw FixtureError(repositoryFailure) }
        return historyEntries.map { DeploymentHistoryEntry.newestFirst($0, service: service) }
    }
}
