import FleetGit
import FleetModel
import Foundation

/// A status annotation to write as the note on a commit.
public struct NoteRequest: Sendable {
    public var commit: CommitID
    public var annotation: StatusAnnotation
}

/// Follows each admitted commit from the start of its rollout to its end and says what its note should read
/// at each step: `in-progress` when it begins and whenever what it reports changes (at most every few seconds),
/// then its result once every service has settled, or `superseded` when a newer commit replaced it first.
///
/// A value with no I/O: the reconcile loop feeds it passes' reports and hands the notes it returns to the
/// ``AnnotationWriter``, so the loop never waits for Git.
public struct DeploymentTracker: Sendable {
    /// One commit being rolled out: what the fleet ran before, when it started, and what has settled.
    public struct Deployment: Sendable {
        public var admitted: AdmittedCommit
        public var startedAt: Date
        /// The image each service ran when the deployment began.
        var from: [String: String]
        /// The converger's created/destroyed counters when the deployment began, to report deltas.
        var baseCounters: [String: (created: Int, destroyed: Int)]
        var settledAt: [String: Date] = [:]
        /// The converger's counters as of the last pass that reported each service; a removed service stops
        /// being reported once its last instance is gone, and its note still needs them.
        var lastCounters: [String: (created: Int, destroyed: Int)] = [:]
        var lastAnnotated: (summary: String, at: Date)?

        public var commit: CommitID { admitted.commit }
    }

    /// How a deployment ended.
    public struct Finished: Sendable {
        public var commit: CommitID
        public var result: DeploymentResult
        public var report: [ServiceConvergence]
        public var from: [String: String]
    }

    public let controllerID: String
    public private(set) var deployment: Deployment?
    /// The last report seen, for the counters a new deployment starts from.
    private var lastReport: [ServiceConvergence] = []

    public init(controllerID: String) {
        self.controllerID = controllerID
    }

    /// Starts following `admitted`; the deployment in flight, if any, is superseded by it.
    public mutating func begin(_ admitted: AdmittedCommit, liveImages: [String: String], now: Date = Date())
        -> [NoteRequest]
    {
        var notes: [NoteRequest] = []
        if let previous = deployment, previous.commit != admitted.commit {
            notes.append(
                note(
                    for: previous, result: .superseded, report: lastReport,
                    reason: "superseded by \(admitted.commit.hex) before it settled", now: now))
        }
        let current = Deployment(
            admitted: admitted, startedAt: now, from: liveImages,
            baseCounters: Dictionary(
                lastReport.map { ($0.service, (created: $0.created, destroyed: $0.destroyed)) },
                uniquingKeysWith: { first, _ in first }))
        deployment = current
        notes.append(note(for: current, result: .inProgress, report: lastReport, fresh: false, now: now))
        return notes
    }

    /// Forgets the deployment in flight without a note (this replica stopped leading; the next leader
    /// starts over from the registry and the branch).
    public mutating func abandon() {
        deployment = nil
        lastReport = []
    }

    /// Takes in a pass's report: the notes to write, and how the deployment ended if it just did.
    public mutating func progress(_ report: [ServiceConvergence], now: Date = Date()) -> (
        notes: [NoteRequest], finished: Finished?
    ) {
        lastReport = report
        guard var current = deployment else { return ([], nil) }
        for service in report where service.phase.isSettled && current.settledAt[service.service] == nil {
            current.settledAt[service.service] = now
        }
        for service in report { current.lastCounters[service.service] = (service.created, service.destroyed) }
        deployment = current
        if report.allSatisfy(\.phase.isSettled) {
            let result = Self.result(of: report)
            let reasons = report.compactMap { service in
                service.phase.failureReason.map { "\(service.service): \($0)" }
            }
            let note = note(
                for: current, result: result, report: report,
                reason: reasons.isEmpty ? nil : reasons.joined(separator: "\n"), now: now)
            deployment = nil
            return ([note], Finished(commit: current.commit, result: result, report: report, from: current.from))
        }
        let summary = report.map { "\($0.service):\($0.ready)/\($0.replicas):\($0.phase)" }.joined(separator: " ")
        if let last = current.lastAnnotated, last.summary == summary || now.timeIntervalSince(last.at) < 5 {
            return ([], nil)
        }
        current.lastAnnotated = (summary, now)
        deployment = current
        let holds = report.compactMap { service in
            if case .held(let hold) = service.phase { return "\(service.service): \(hold)" } else { return nil }
        }
        return (
            [
                note(
                    for: current, result: .inProgress, report: report,
                    reason: holds.isEmpty ? nil : holds.joined(separator: "\n"), now: now)
            ], nil
        )
    }

    /// The note of a commit admission turned away.
    public func rejected(_ rejected: RejectedCommit, fleetName: String?, now: Date = Date()) -> NoteRequest {
        NoteRequest(
            commit: rejected.commit,
            annotation: StatusAnnotation(
                result: .rejected, fleet: fleetName ?? "", controller: controllerID, at: now,
                revision: rejected.commit.hex, reason: rejected.reason, errors: rejected.errors,
                rewrite: rejected.rewrite))
    }

    /// The deployment's result once every service has settled.
    static func result(of report: [ServiceConvergence]) -> DeploymentResult {
        if report.contains(where: { if case .failed = $0.phase { return true } else { return false } }) {
            return .failed
        }
        if report.contains(where: { if case .rolledBack = $0.phase { return true } else { return false } }) {
            return .rolledBack
        }
        return .converged
    }

    /// `fresh` when `report` comes from a pass of this deployment (not the report before its first pass).
    private func note(
        for deployment: Deployment, result: DeploymentResult, report: [ServiceConvergence], reason: String? = nil,
        fresh: Bool = true, now: Date
    ) -> NoteRequest {
        var services: [String: ServiceStatus] = [:]
        let reported = Dictionary(grouping: report, by: \.service)
        for service in deployment.admitted.fleet.services {
            // A report from before this deployment's first pass speaks of another spec. A failed rollout's
            // report names the spec restored, not the commit's, and still is this commit's outcome.
            // A held service's report names the spec it stays at, and is this commit's news all the same.
            let current = reported[service.name]?.first {
                $0.targetSpecHash == SpecHash(service) || (fresh && $0.phase.failureReason != nil) || $0.phase.isHeld
            }
            let base = deployment.baseCounters[service.name] ?? (0, 0)
            services[service.name] = ServiceStatus(
                result: current?.phase.name.deploymentResult ?? .inProgress,
                from: deployment.from[service.name], to: service.image.description,
                created: (current?.created ?? base.created) - base.created,
                destroyed: (current?.destroyed ?? base.destroyed) - base.destroyed,
                took: deployment.settledAt[service.name].map {
                    .seconds(Int64($0.timeIntervalSince(deployment.startedAt).rounded()))
                },
                reason: current?.phase.reason)
        }
        // Services the commit removed from Git: listed too, so `history SERVICE` shows the removal.
        let kept = Set(deployment.admitted.fleet.services.map(\.name))
        for (name, image) in deployment.from where !kept.contains(name) {
            let current = reported[name]?.first { $0.targetSpecHash == nil }
            let base = deployment.baseCounters[name] ?? (0, 0)
            let last = deployment.lastCounters[name] ?? base
            // Once gone, it is no longer reported; that it settled (as `removed`) is remembered.
            let gone: DeploymentResult = deployment.settledAt[name] == nil ? .inProgress : .removed
            services[name] = ServiceStatus(
                result: current?.phase.name.deploymentResult ?? gone, from: image,
                created: (current?.created ?? last.created) - base.created,
                destroyed: (current?.destroyed ?? last.destroyed) - base.destroyed,
                took: deployment.settledAt[name].map {
                    .seconds(Int64($0.timeIntervalSince(deployment.startedAt).rounded()))
                })
        }
        let annotation = StatusAnnotation(
            result: result, fleet: deployment.admitted.fleet.name, controller: controllerID, at: now,
            revision: deployment.commit.hex, reason: reason,
            signature: deployment.admitted.verdict?.annotationSignature, rewrite: deployment.admitted.rewrite,
            services: services, started: deployment.startedAt, finished: result == .inProgress ? nil : now)
        return NoteRequest(commit: deployment.commit, annotation: annotation)
    }
}
