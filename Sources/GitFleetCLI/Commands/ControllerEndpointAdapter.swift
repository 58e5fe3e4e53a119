import FleetController
import FleetGit
import FleetModel
import FleetPlanner
import FleetRegistry
import FleetRuntime
import FleetServer

/// Presents the controller service to the HTTP server. It lives here, where both are known: the
/// server depends on the controller, never the other way round.
struct ControllerEndpointAdapter: ControllerEndpoint {
    let controller: Controller
    let registry: any Registry
    let runtime: any Runtime

    var trackedBranch: String { controller.configuration.branch }

    func readiness() async -> Readiness {
        var problems = await controller.readinessProblems()
        do {
            try await registry.ping()
        } catch {
            problems.append("registry: \(error)")
        }
        return Readiness(ready: problems.isEmpty, reasons: problems + controller.degradations())
    }

    func status() async -> StatusDocument {
        let snapshot = await controller.snapshot()
        let result = snapshot.phase
        var document = StatusDocument(
            fleet: snapshot.fleet, trackedBranch: trackedBranch, revision: snapshot.revision,
            fetchedRevision: snapshot.fetchedRevision, result: result.rawValue, lastReconcileAt: snapshot.lastPassAt,
            services: snapshot.services.map { service in
                var summary = ServiceSummary(
                    name: service.service, result: service.phase.name.rawValue, replicas: service.replicas,
                    ready: service.ready, image: service.toImage, reason: service.phase.reason)
                summary.gate = service.phase.gate
                return summary
            }, role: snapshot.role, leader: snapshot.leader)
        document.lastFetchAt = snapshot.lastFetchAt
        let controls = await rolloutStates()
        document.suspended = await fleetSuspension()
        for index in document.services.indices {
            let state = controls[document.services[index].name]
            document.services[index].suspended = state?.suspended ?? document.suspended
            document.services[index].pinned = state?.pin.map(PinSummary.init)
        }
        if !controller.configuration.freezeWindows.isEmpty {
            document.freeze = FreezeSummary(open: snapshot.openFreezeWindows, next: snapshot.nextFreezeWindow)
        }
        let discovery = await controller.discovery.status
        document.discovery = DiscoverySummary(
            failing: discovery.problem != nil, problem: discovery.problem, failures: discovery.failures,
            lastConfirmedAt: discovery.lastConfirmedAt)
        let waiting = await controller.agents.waitingAgents
        document.discovery?.waitingAgents = waiting.isEmpty ? nil : waiting
        let agents = await controller.agents.entries()
        document.agents =
            agents.isEmpty
            ? nil
            : agents.map { entry in
                var agent = AgentDocument(entry)
                // A few KiB per failing agent: GET /api/v1/agents has it.
                agent.output = nil
                return agent
            }
        return document
    }

    func service(named name: String) async -> ServiceDocument? {
        let snapshot = await controller.snapshot()
        let records = (try? await registry.instances(service: name).map(\.record)) ?? []
        guard let service = snapshot.services.first(where: { $0.service == name }) else {
            guard !records.isEmpty else { return nil }
            return ServiceDocument(
                name: name, result: ServicePhase.unknown.rawValue, replicas: 0, ready: 0,
                instances: records.map(InstanceDocument.init))
        }
        var document = ServiceDocument(
            name: name, result: service.phase.name.rawValue, replicas: service.replicas, ready: service.ready,
            image: service.toImage, specHash: service.targetSpecHash?.rawValue, revision: snapshot.revision,
            reason: service.phase.reason, instances: records.map(InstanceDocument.init))
        let state = try? await registry.rolloutState(service: name)?.record
        document.suspended = state?.suspended
        if document.suspended == nil { document.suspended = await fleetSuspension() }
        document.pinned = state?.pin.map(PinSummary.init)
        document.gate = service.phase.gate
        return document
    }

    /// The rollout states by service, for the operators' controls the status shows; none when the registry cannot
    /// be read now (readiness says so).
    private func rolloutStates() async -> [String: RolloutState] {
        let states = (try? await registry.rolloutStates().map(\.record)) ?? []
        return Dictionary(states.map { ($0.service, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func control(_ action: ServiceControl.Action, service: String, attribution: Attribution) async throws
        -> ServiceControl.Outcome?
    {
        try await controller.control(action, service: service, attribution: attribution)
    }

    func controlFleet(_ action: ServiceControl.Action, attribution: Attribution) async throws
        -> ServiceControl.Outcome?
    {
        try await controller.controlFleet(action, attribution: attribution)
    }

    func fleetSuspension() async -> Attribution? {
        try? await registry.fleetControls()?.record.suspended
    }

    /// Read from the registry at once; a registry that cannot be read throws (503) rather than answering
    /// a document that would plan as if the fleet were empty.
    func live() async throws -> LiveStateDocument? {
        let snapshot = await controller.snapshot()
        let records = try await registry.snapshot()
        var document = LiveStateDocument(records, revision: snapshot.deploying ?? snapshot.revision)
        document.runtimeScope = controller.configuration.resolvedRuntimeScope
        return document
    }

    func discovery(changedFrom index: String?, wait: Duration) async -> DiscoveryDocument? {
        let view = await controller.discovery.view(changedFrom: index, wait: wait)
        // Asked after the wait: a standby that took over during the poll answers as the leader.
        let leading = await controller.leadership?.isLeader ?? true
        return DiscoveryDocument(view, role: leading ? .leader : .standby)
    }

    var events: EventLog? { controller.events }

    func receiveAgentReport(_ report: AgentReport, from name: String) async -> Bool {
        await controller.receive(report, from: name)
        return true
    }

    /// `published` only on the leader: a standby's view mirrors the registry and is no publication.
    func agents() async -> AgentsDocument? {
        // As the status's `role` says it.
        let leading = await controller.leadership?.isLeader ?? true
        let published = leading ? await controller.discovery.view.etag : nil
        return AgentsDocument(
            published: published, timeout: controller.agents.settings.timeout,
            agents: await controller.agents.entries().map(AgentDocument.init))
    }

    func retry(service: String, by caller: String, reason: String?) async throws -> RolloutRetry.Outcome? {
        try await controller.retry(service: service, by: caller, reason: reason)
    }

    func gate(_ action: GateAction, service: String, by caller: String, reason: String?) async throws
        -> RolloutGate.Outcome?
    {
        switch action {
        case .promote: return try await controller.promote(service: service, by: caller, reason: reason)
        case .abort: return try await controller.abort(service: service, by: caller, reason: reason)
        }
    }

    func instanceLogs(service: String, instance: String, tail: Int) async throws(InstanceLogs.Unreadable)
        -> InstanceLogs.Answer?
    {
        try await InstanceLogs.read(
            service: service, instance: instance, tail: tail, registry: registry, runtime: runtime)
    }

    func trigger(_ reason: TriggerReason) async {
        switch reason {
        case .webhook(let push):
            controller.requestFetch(revision: push.revision, delivery: push.deliveryID)
        }
    }

    /// From the notes in the controller's own repository, on its Git thread. A standby answers from its copy,
    /// which it does not fetch while it stands by (docs/http-api.md).
    func commit(_ revision: String) async throws -> CommitDocument? {
        do {
            let outcome = try await controller.repository.commitOutcome(
                of: revision, notesRef: controller.configuration.notesRef)
            return CommitDocument(outcome, trackedBranch: trackedBranch)
        } catch let error as GitError where error.code == .invalidInput || error.code == .ambiguous {
            throw error.code == .ambiguous ? BadRevision.ambiguous(error.message) : .notACommit(error.message)
        }
    }

    func history(service: String?) async throws -> [DeploymentHistoryEntry]? {
        let history = try await controller.repository.deploymentHistory(notesRef: controller.configuration.notesRef)
        return DeploymentHistoryEntry.newestFirst(history.entries, service: service)
    }

}
