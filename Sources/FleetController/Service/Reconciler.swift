import FleetGit
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The reconcile loop: makes each admitted commit the desired state and converges the fleet to it, pass by
/// pass, following the rollout with a ``DeploymentTracker`` whose notes go to the ``AnnotationWriter``.
///
/// Between passes is the only place anything changes course (the safe point): a newer admitted commit found
/// there supersedes the rollout in flight, and a graceful shutdown stops there. Passes run while a rollout
/// is in flight, when something asks for one (a retry, an instance that changed) and every resync interval,
/// to heal drift. Nothing here waits for Git: commits arrive admitted, notes leave through the writer.
/// With etcd, only the leader acts; a standby mirrors the serving set for discovery.
public actor Reconciler: Service {
    public struct Options: Sendable {
        public var resyncInterval: Duration
        public var tick: Duration
        /// Where the last deployed commit is remembered across restarts.
        public var stateDirectory: String
        public var controllerID: String
        /// The last commit that converged, as remembered in the state directory when the controller started.
        public var lastDeployed: CommitID?
        /// Spans of time in which new specs wait (see ``FreezeDecision``).
        public var freezeWindows: [FreezeWindow]

        public init(
            resyncInterval: Duration, tick: Duration, stateDirectory: String, controllerID: String,
            lastDeployed: CommitID? = nil, freezeWindows: [FreezeWindow] = []
        ) {
            self.resyncInterval = resyncInterval
            self.tick = tick
            self.stateDirectory = stateDirectory
            self.controllerID = controllerID
            self.lastDeployed = lastDeployed
            self.freezeWindows = freezeWindows
        }
    }

    let options: Options
    let registry: any Registry
    let converger: Converger
    let discovery: DiscoveryPublisher
    let leadership: LeaderElection?
    let admission: CommitAdmission
    let annotations: AnnotationWriter
    /// Watches the fleet between passes (exits, health probes) and asks for a pass when something changed.
    let observer: InstanceObserver
    let metrics: FleetMetrics
    let logger: Logger
    /// Where admitted and rejected commits and changes of leadership are told (they also make the log line).
    let events: EventLog
    /// Where freeze windows read the time: the system's clock, or a simulated one in tests.
    let clock: any FleetClock

    private nonisolated let offered = NIOLockedValueBox<Admission?>(nil)
    private nonisolated let resyncRequested = NIOLockedValueBox(false)
    private nonisolated let wake = WakeSignal()

    private var leading = false
    private var desired: Fleet?
    private var tracker: DeploymentTracker
    private var lastReport: [ServiceConvergence] = []
    private var lastDeployed: CommitID?
    private var lastPassAt: Date?
    /// Why the last pass failed, named by the part that failed (`registry: …`, `runtime: …`); nil once one passes.
    private var passProblem: String?
    /// The last commit admission turned away, while no later commit was admitted.
    private var lastRejected: RejectedCommit?
    /// The freeze windows open as of the last look, by name, to tell when one opens or closes.
    private var openWindows: [String: OpenFreezeWindow] = [:]
    /// The services whose hold was told for the deployment in flight (a `deployment-held` event each).
    private var toldHolds: Set<String> = []
    /// The operators' controls (suspensions, pins) in the registry at the last pass, by attribution; nil until the
    /// first pass since this controller leads, which only takes note of them.
    private var seenControls: Set<Attribution>?
    /// Controls this controller recorded itself (asked through its API), so a pass does not record them again.
    private var recordedControls: Set<Attribution> = []

    public init(
        options: Options, registry: any Registry, converger: Converger, discovery: DiscoveryPublisher,
        leadership: LeaderElection?, admission: CommitAdmission, annotations: AnnotationWriter,
        observer: InstanceObserver, metrics: FleetMetrics, logger: Logger, events: EventLog,
        clock: any FleetClock = SystemClock()
    ) {
        self.clock = clock
        self.observer = observer
        self.options = options
        self.registry = registry
        self.converger = converger
        self.discovery = discovery
        self.leadership = leadership
        self.admission = admission
        self.annotations = annotations
        self.metrics = metrics
        self.logger = logger
        self.events = events
        tracker = DeploymentTracker(controllerID: options.controllerID)
        lastDeployed = options.lastDeployed
    }

    /// Hands over admission's verdict on a new head; a newer one replaces one not yet taken.
    public nonisolated func offer(_ admission: Admission) {
        offered.withLockedValue { $0 = admission }
        wake.signal()
    }

    /// Asks for a pass soon, with or without a rollout in flight (a retry, an instance that exited).
    public nonisolated func requestPass() {
        resyncRequested.withLockedValue { $0 = true }
        wake.signal()
    }

    /// Why the loop cannot do its job, if it cannot.
    public func readinessProblems() async -> [String] {
        var problems: [String] = []
        if let passProblem { problems.append(passProblem) }
        let discoveryStatus = await discovery.status
        if let problem = discoveryStatus.problem {
            problems.append("discovery: \(problem) (\(discoveryStatus.failures) failed attempts; rollouts wait)")
        }
        return problems
    }

    public var hasDesiredState: Bool { desired != nil }

    /// The commit the fleet is at: the one whose deployment is in flight, else the last admitted one (the desired
    /// state's), else the last deployed. An operator's action is recorded in its note.
    public var currentCommit: CommitID? {
        tracker.deployment?.commit ?? desired?.revision.flatMap { CommitID(hex: $0) } ?? lastDeployed
    }

    public var isLeading: Bool { leadership == nil || leading }

    /// What the loop knows now, for the status API.
    public func snapshot() -> (
        fleet: String?, revision: CommitID?, deploying: CommitID?, lastPassAt: Date?, services: [ServiceConvergence],
        rejected: RejectedCommit?
    ) {
        (desired?.name, lastDeployed, tracker.deployment?.commit, lastPassAt, lastReport, lastRejected)
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                if let leadership = self.leadership {
                    // Campaigns and renewals run beside the loop, so a long pass never lets the lease lapse.
                    group.addTask { await leadership.run() }
                }
                group.addTask {
                    for await verdict in self.admission.results { self.offer(verdict) }
                }
                group.addTask {
                    // The observer logged the change (with the instance) when it asked.
                    for await _ in self.observer.passRequests { self.requestPass() }
                }
                group.addTask { await self.followRolloutChanges() }
                await self.loop()
                // Resigns on the way out (the election ends when cancelled), so a standby takes over at once.
                group.cancelAll()
            }
        } onGracefulShutdown: { [wake] in
            wake.signal()
        }
    }

    /// Wakes the loop for a pass whenever a rollout state changes in the registry (any registry: its change
    /// feed), so a `gitfleet retry` made from anywhere is acted on at once rather than at the next resync.
    /// Subscribes again while the service runs.
    nonisolated func followRolloutChanges() async {
        while !Task.isCancelled {
            do {
                for try await _ in registry.rolloutStateChanges() { requestPass() }
            } catch {
                // Registry unreachable: the loop reports it; try again shortly.
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Whether this controller may act now; follows changes of leadership. A new leader starts from what
    /// the registry and the repository say, as if it had just started; a deposed one forgets its rollout.
    private func mayAct() async -> Bool {
        guard let leadership else { return true }
        let isLeader = await leadership.isLeader
        if isLeader != leading {
            leading = isLeader
            metrics.setLeader(isLeader)
            let controller: [String: FleetEvent.Value] = ["controller": .text(options.controllerID)]
            if isLeader {
                // The last leader may have written notes since this replica last did: link to what the remote holds.
                await annotations.forgetChain()
                await events.emit(
                    .leadershipGained, "\(options.controllerID) leads: it now acts on the fleet", fields: controller)
            } else {
                desired = nil
                seenControls = nil
                tracker.abandon()
                // A standby leaves watching the fleet to the leader.
                await converger.stopWatching()
                // Nor does it hold a publication for the agents: the leader's gate does.
                await converger.agents?.release()
                lastReport = []
                metrics.retainServices([])
                offered.withLockedValue { $0 = nil }
                // Told after the state is reset: the actor may be entered again while it awaits.
                await events.emit(
                    .leadershipLost, "\(options.controllerID) stands by: another controller may lead",
                    fields: controller)
            }
        }
        return isLeader
    }

    private func loop() async {
        var nextResync = ContinuousClock.now
        var immediatePasses = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            guard await mayAct() else {
                if let records = try? await registry.instances(service: nil).map(\.record) {
                    await discovery.mirror(ServingSet(records: records))
                }
                await wake.wait(timeout: leadership.map { $0.ttl / 6 } ?? options.tick)
                continue
            }
            if let admission = offered.withLockedValue({ offered in
                defer { offered = nil }
                return offered
            }) {
                if await take(admission) { nextResync = ContinuousClock.now }
            }
            if resyncRequested.withLockedValue({ requested in
                defer { requested = false }
                return requested
            }) {
                nextResync = ContinuousClock.now
            }
            await followFreezeWindows()
            var pacing: (changed: Bool, nextDue: ContinuousClock.Instant?) = (false, nil)
            if desired != nil && (inFlight || ContinuousClock.now >= nextResync) {
                await pass()
                nextResync = ContinuousClock.now.advanced(by: options.resyncInterval)
                pacing = await converger.lastPassPacing
            }
            // While a rollout is in flight, the next pass comes when the last one says something falls due (a
            // probe in the startup phase, a drain delay), at the latest after a tick, and at once after a pass
            // that changed something (bounded, as in ``Converger/converge(_:timeout:progress:)``). Idle, only the
            // resync (or a request) runs one.
            if inFlight && pacing.changed && immediatePasses < PassPacing.maxImmediatePasses {
                immediatePasses += 1
                continue
            }
            immediatePasses = 0
            let tick = ContinuousClock.now.advanced(by: options.tick)
            var until = inFlight ? min(tick, pacing.nextDue ?? tick) : nextResync
            // A window that opens or closes is told when it does, not at the next resync.
            if let boundary = nextFreezeBoundary() { until = min(until, clock.instant(at: boundary)) }
            await wake.wait(timeout: max(ContinuousClock.now.duration(to: until), .milliseconds(5)))
        }
        logger.notice("stopped at a safe point")
    }

    private var inFlight: Bool { tracker.deployment != nil || lastReport.contains { !$0.phase.isSettled } }

    /// Makes an admitted commit the desired state, or records a rejection; returns whether the desired state
    /// changed.
    private func take(_ admission: Admission) async -> Bool {
        switch admission {
        case .rejected(let rejected):
            let errors = rejected.errors.isEmpty ? "" : "\n" + rejected.errors.joined(separator: "\n")
            // The event's log line carries the reason; the manifest errors, one a line, only the log.
            if !errors.isEmpty {
                logger.error(
                    "the problems in \(rejected.commit.short):\(errors)",
                    metadata: rejected.detected.logMetadata.merging(["errors": "\(rejected.errors.count)"]) { $1 })
            }
            lastRejected = rejected
            annotations.enqueue(tracker.rejected(rejected, fleetName: desired?.name))
            await events.emit(
                .commitRejected, commit: rejected.commit.hex, "rejected \(rejected.commit.short): \(rejected.reason)",
                fields: ["reason": .text(rejected.reason), "errors": .number(rejected.errors.count)])
            return false
        case .admitted(let admitted):
            lastRejected = nil
            toldHolds = []
            desired = admitted.fleet
            let notes = tracker.begin(admitted, liveImages: await liveImages())
            for note in notes { annotations.enqueue(note) }
            await events.emit(
                .commitAdmitted, commit: admitted.commit.hex,
                "deploying \(admitted.commit.short) (\(admitted.fleet.services.count) services)",
                fields: [
                    "fleet": .text(admitted.fleet.name), "services": .number(admitted.fleet.services.count),
                    "signed": .flag(admitted.verdict?.trusted == true),
                ])
            // The deployment this one replaces ends first, so a commit status follows the notes' order.
            for note in notes where note.annotation.result == .superseded {
                await tellFinished(note, supersededBy: admitted.commit)
            }
            await events.emit(
                .deploymentStarted, commit: admitted.commit.hex,
                "deployment of \(admitted.commit.short) started (\(admitted.fleet.services.count) services)",
                fields: ["fleet": .text(admitted.fleet.name), "services": .number(admitted.fleet.services.count)])
            return true
        }
    }

    /// One reconcile pass; closes the deployment in flight once every service has settled.
    private func pass() async {
        guard let desired else { return }
        let started = ContinuousClock.now
        do {
            let decision = try await freezeDecision(desired)
            lastReport = try await converger.reconcile(decision.fleet)
            lastReport = decision.report(lastReport)
            await tellHolds(decision.holds)
            passProblem = nil
            lastPassAt = Date()
        } catch {
            // A Docker host that does not answer fails the pass too: say so, not "registry".
            passProblem = (error is RuntimeError ? "runtime: " : "registry: ") + "\(error)"
            logger.error(
                "reconcile failed: \(error)", metadata: desired.revision.map { ["commit": "\($0)"] } ?? [:])
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
            let known = Set(byService.keys).union(desired.services.map(\.name))
            for service in known {
                let counts = Dictionary(grouping: byService[service] ?? [], by: \.state).mapValues(\.count)
                metrics.setInstanceCounts(service: service, counts: counts)
            }
            metrics.retainServices(known.union(lastReport.map(\.service)))
        }
        let (notes, finished) = tracker.progress(lastReport)
        for note in notes { annotations.enqueue(note) }
        if let finished {
            // Told from the final note, so what notifications report is what the note says.
            if let note = notes.last(where: { $0.commit == finished.commit }) { await tellFinished(note) }
            await close(finished)
        }
    }

    /// Emits `deployment-finished` for a deployment's last note (its log line, at the result's level, is
    /// what an operator reads first about a commit).
    private func tellFinished(_ note: NoteRequest, supersededBy newer: CommitID? = nil) async {
        let (message, fields) = note.annotation.deploymentFinished(supersededBy: newer)
        await events.emit(.deploymentFinished, commit: note.commit.hex, message, fields: fields)
    }

    private func close(_ finished: DeploymentTracker.Finished) async {
        for service in finished.report
        where service.phase.failureReason != nil || finished.from[service.service] != nil {
            metrics.recordRollout(service: service.service, result: service.phase.name.deploymentResult)
        }
        guard finished.result == .converged else { return }
        metrics.setDeployedRevision(finished.commit.hex)
        lastDeployed = finished.commit
        await admission.deployed(finished.commit)
        do {
            try ControllerState(lastDeployed: finished.commit).save(to: options.stateDirectory)
        } catch {
            logger.error(
                "the last deployed commit could not be saved in \(options.stateDirectory): \(error)",
                metadata: ["commit": "\(finished.commit.hex)"])
        }
    }

    /// The fleet the converger may roll to now: `desired`, with services an open freeze window covers or an
    /// operator suspended kept at the specs they are at, and services an operator rolled back at their pins
    /// (all read from their rollout states). Releases first the pins that `desired` has moved past.
    private func freezeDecision(_ desired: Fleet) async throws -> FreezeDecision {
        let open = Array(openWindows.values)
        let rollouts = try await releasePins(try await registry.rolloutStates(), desired: desired)
        let fleetSuspension = try await registry.fleetControls()?.record.suspended
        await recordRegistryControls(rollouts, fleetSuspension: fleetSuspension)
        return FreezeDecision(desired: desired, rollouts: rollouts, open: open, fleetSuspension: fleetSuspension)
    }

    /// Takes note of a control this controller records itself (before it writes it), so a pass that reads it from
    /// the registry does not record it again.
    func willRecord(_ attribution: Attribution) {
        recordedControls.insert(Self.normalized(attribution))
    }

    /// Records the suspensions and pins that appeared in the registry since the last pass without coming through
    /// this controller: written with the registry's own credentials (`gitfleet suspend --config …`). A resume
    /// written that way leaves nothing to read (the suspension is gone) and is not recorded.
    private func recordRegistryControls(_ rollouts: [RolloutState], fleetSuspension: Attribution?) async {
        var current: [(action: String, service: String?, attribution: Attribution, event: FleetEvent.Kind)] = []
        if let fleetSuspension { current.append(("suspend", nil, fleetSuspension, .serviceSuspended)) }
        for state in rollouts {
            if let suspended = state.suspended {
                current.append(("suspend", state.service, suspended, .serviceSuspended))
            }
            if let pin = state.pin { current.append(("rollback", state.service, pin.attribution, .servicePinned)) }
        }
        defer { seenControls = Set(current.map { Self.normalized($0.attribution) }) }
        guard let seen = seenControls else { return }
        for entry in current {
            let attribution = Self.normalized(entry.attribution)
            guard !seen.contains(attribution), !recordedControls.contains(attribution) else { continue }
            let subject = entry.service ?? "the fleet"
            let what = entry.action == "suspend" ? "suspended" : "rolled back"
            await record(
                OperatorAction(
                    action: entry.action, service: entry.service, by: attribution.by, at: attribution.at,
                    reason: attribution.reason, outcome: "written to the registry directly"),
                event: entry.event,
                "\(subject) is \(what) by \(attribution.by) in the registry"
                    + (attribution.reason.map { ": \($0)" } ?? ""))
        }
    }

    /// Tells an operator's action as an event and adds it to the note of ``currentCommit``.
    func record(
        _ action: OperatorAction, event: FleetEvent.Kind, _ message: String, fields: [String: FleetEvent.Value] = [:]
    ) async {
        var fields = fields
        fields["by"] = .text(action.by)
        fields["action"] = .text(action.action)
        if let reason = action.reason { fields["reason"] = .text(reason) }
        let commit = currentCommit
        await events.emit(event, service: action.service, commit: commit?.hex, message, fields: fields)
        if let commit { annotations.record(action, on: commit) }
    }

    /// `attribution` as the registry gives it back (its date to the millisecond).
    private static func normalized(_ attribution: Attribution) -> Attribution {
        var attribution = attribution
        attribution.at = RegistryTimestamp.normalized(attribution.at)
        return attribution
    }

    /// Releases each rollback pin set against a desired spec other than the one `desired` asks for now (a commit
    /// changed the service), telling it as `service-unpinned`; returns the states as they are after it.
    private func releasePins(_ stored: [Versioned<RolloutState>], desired: Fleet) async throws -> [RolloutState] {
        let specs = Dictionary(
            desired.services.map { ($0.name, SpecHash($0)) }, uniquingKeysWith: { first, _ in first })
        var states: [RolloutState] = []
        for versioned in stored {
            var state = versioned.record
            if let wanted = specs[state.service], let released = state.releasePin(desired: wanted) {
                try await registry.commit([.putRolloutState(state, expecting: .version(versioned.version))])
                var fields: [String: FleetEvent.Value] = [
                    "by": .text(released.attribution.by), "specHash": .text(released.specHash.short),
                    "desiredSpecHash": .text(wanted.short),
                ]
                if let reason = released.attribution.reason { fields["reason"] = .text(reason) }
                await events.emit(
                    .serviceUnpinned, service: state.service, commit: desired.revision,
                    "\(state.service): the rollback to \(released.specHash.short) by \(released.attribution.by) is "
                        + "released: a commit changed its desired spec to \(wanted.short), which rolls out now",
                    fields: fields)
            }
            states.append(state)
        }
        return states
    }

    /// Tells each service newly held for the deployment in flight, once.
    private func tellHolds(_ holds: [String: FreezeHold]) async {
        guard let commit = tracker.deployment?.commit else { return }
        for (service, hold) in holds.sorted(by: { $0.key < $1.key }) where !toldHolds.contains(service) {
            toldHolds.insert(service)
            var fields: [String: FleetEvent.Value] = [
                "window": .text(hold.window), "until": .text(FreezeWindow.timestamp(hold.until)),
            ]
            if let suspension = hold.suspension {
                fields = ["window": .text(hold.window), "by": .text(suspension.by)]
                if let reason = suspension.reason { fields["reason"] = .text(reason) }
            }
            await events.emit(
                .deploymentHeld, service: service, commit: commit.hex, "\(service) at \(commit.short) is \(hold)",
                fields: fields)
        }
    }

    /// Notes which freeze windows are open now: tells each that opened or closed since the last look, and
    /// sets `gitfleet_freeze_active` for the services of the desired state.
    private func followFreezeWindows() async {
        guard !options.freezeWindows.isEmpty else { return }
        let now = clock.wallTime
        let open = Dictionary(
            options.freezeWindows.open(at: now).map { ($0.window.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (name, window) in open.sorted(by: { $0.key < $1.key }) where openWindows[name] == nil {
            let services = window.window.services.map { $0.sorted().joined(separator: ", ") } ?? "every service"
            await events.emit(
                .freezeWindowOpened,
                "freeze window \(window.window.label) opened until \(FreezeWindow.timestamp(window.until)): "
                    + "new rollouts of \(services) wait",
                fields: freezeFields(window))
        }
        for (name, window) in openWindows.sorted(by: { $0.key < $1.key }) where open[name] == nil {
            await events.emit(
                .freezeWindowClosed, "freeze window \(window.window.label) closed: held rollouts start",
                fields: freezeFields(window))
        }
        if open.keys != openWindows.keys { requestPass() }
        openWindows = open
        if let desired {
            metrics.setFrozen(
                Dictionary(
                    desired.services.map { spec in (spec.name, open.values.contains { $0.window.covers(spec.name) }) },
                    uniquingKeysWith: { first, _ in first }))
        }
    }

    private func freezeFields(_ open: OpenFreezeWindow) -> [String: FleetEvent.Value] {
        var fields: [String: FleetEvent.Value] = [
            "window": .text(open.window.name), "until": .text(FreezeWindow.timestamp(open.until)),
        ]
        if let reason = open.window.reason { fields["reason"] = .text(reason) }
        if let services = open.window.services { fields["services"] = .text(services.sorted().joined(separator: "+")) }
        return fields
    }

    /// When a freeze window next opens or closes.
    private func nextFreezeBoundary() -> Date? {
        guard !options.freezeWindows.isEmpty else { return nil }
        let now = clock.wallTime
        let closing = openWindows.values.map(\.until).min()
        let opening = options.freezeWindows.nextOpening(after: now)?.opens
        return [closing, opening].compactMap { $0 }.min()
    }

    /// The windows open now and the next to open, for the status API.
    public func freezeStatus() -> (open: [OpenFreezeWindow], next: UpcomingFreezeWindow?) {
        let now = clock.wallTime
        let open = options.freezeWindows.open(at: now).sorted {
            ($0.until, $0.window.name) < ($1.until, $1.window.name)
        }
        return (open, options.freezeWindows.nextOpening(after: now))
    }

    /// The most common image per service among live instances.
    private func liveImages() async -> [String: String] {
        guard let records = try? await registry.instances(service: nil).map(\.record) else { return [:] }
        var counts: [String: [String: Int]] = [:]
        for record in records where record.state.isLive {
            counts[record.service, default: [:]][record.image, default: 0] += 1
        }
        return counts.mapValues { images in images.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key }
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
