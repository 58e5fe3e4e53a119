import FleetGit
import FleetModel
import Foundation

/// One commit being rolled out: what the fleet ran before, when it started, and what has settled.
struct Deployment: Sendable {
    var commit: CommitID
    var startedAt: Date
    var fleet: Fleet
    /// The image each service ran when the deployment began.
    var from: [String: String]
    /// The converger's created/destroyed counters when the deployment began, to report deltas.
    var baseCounters: [String: (created: Int, destroyed: Int)]
    var settledAt: [String: Date] = [:]
    /// The converger's counters as of the last pass that reported each service; a removed service stops being
    /// reported once its last instance is gone, and its note still needs them.
    var lastCounters: [String: (created: Int, destroyed: Int)] = [:]
    var verdict: SignatureVerdict?
    var rewrite: StatusAnnotation.Rewrite?
    var lastAnnotated: (summary: String, at: Date)?

    init(
        commit: CommitID, startedAt: Date, fleet: Fleet, from: [String: String], counters: [ServiceConvergence],
        verdict: SignatureVerdict?, rewrite: StatusAnnotation.Rewrite?
    ) {
        self.commit = commit
        self.startedAt = startedAt
        self.fleet = fleet
        self.from = from
        self.baseCounters = Dictionary(
            counters.map { ($0.service, (created: $0.created, destroyed: $0.destroyed)) },
            uniquingKeysWith: { first, _ in first })
        self.verdict = verdict
        self.rewrite = rewrite
    }
}

extension ControllerService {
    /// Follows a deployment after a pass: records when services settle, refreshes the annotation when
    /// something changed (at most every few seconds), and closes the deployment once all have settled.
    func progress(_ report: [ServiceConvergence]) async {
        guard var current = deployment else { return }
        let now = Date()
        for service in report where service.phase.isSettled && current.settledAt[service.service] == nil {
            current.settledAt[service.service] = now
        }
        for service in report { current.lastCounters[service.service] = (service.created, service.destroyed) }
        deployment = current
        if report.allSatisfy(\.phase.isSettled) {
            let result: DeploymentResult =
                report.contains { if case .failed = $0.phase { return true } else { return false } }
                ? .failed
                : report.contains { if case .rolledBack = $0.phase { return true } else { return false } }
                    ? .rolledBack : .converged
            let reasons = report.compactMap { service in service.phase.failureReason.map { "\(service.service): \($0)" }
            }
            await annotate(current, result: result, reason: reasons.isEmpty ? nil : reasons.joined(separator: "\n"))
            logger.notice("\(current.commit.short): \(result.rawValue)")
            for service in report where service.phase.failureReason != nil || current.from[service.service] != nil {
                metrics.recordRollout(service: service.service, result: service.phase.name.deploymentResult)
            }
            if result == .converged {
                metrics.setDeployedRevision(current.commit.hex)
                lastDeployed = current.commit
                try? ControllerState(lastDeployed: current.commit).save(to: configuration.resolvedStateDirectory)
            }
            deployment = nil
            return
        }
        let summary = report.map { "\($0.service):\($0.ready)/\($0.replicas):\($0.phase)" }.joined(separator: " ")
        if let last = current.lastAnnotated, last.summary == summary || now.timeIntervalSince(last.at) < 5 { return }
        current.lastAnnotated = (summary, now)
        deployment = current
        await annotate(current, result: .inProgress)
    }

    func annotate(_ deployment: Deployment, result: DeploymentResult, reason: String? = nil) async {
        var services: [String: ServiceStatus] = [:]
        for service in deployment.fleet.services {
            // A report from before this deployment's first pass speaks of another spec.
            let report = lastReport.first { $0.service == service.name && $0.targetSpecHash == SpecHash(service) }
            let base = deployment.baseCounters[service.name] ?? (0, 0)
            services[service.name] = ServiceStatus(
                result: report?.phase.name.deploymentResult ?? .inProgress,
                from: deployment.from[service.name], to: service.image.description,
                created: (report?.created ?? base.created) - base.created,
                destroyed: (report?.destroyed ?? base.destroyed) - base.destroyed,
                took: deployment.settledAt[service.name].map {
                    .seconds(Int64($0.timeIntervalSince(deployment.startedAt).rounded()))
                },
                reason: report?.phase.failureReason)
        }
        // Services the commit removed from Git: listed too, so `history SERVICE` shows the removal.
        let kept = Set(deployment.fleet.services.map(\.name))
        for (name, image) in deployment.from where !kept.contains(name) {
            let report = lastReport.first { $0.service == name && $0.targetSpecHash == nil }
            let base = deployment.baseCounters[name] ?? (0, 0)
            let last = deployment.lastCounters[name] ?? base
            // Once gone, it is no longer reported; that it settled (as `removed`) is remembered.
            let gone: DeploymentResult = deployment.settledAt[name] == nil ? .inProgress : .removed
            services[name] = ServiceStatus(
                result: report?.phase.name.deploymentResult ?? gone, from: image,
                created: (report?.created ?? last.created) - base.created,
                destroyed: (report?.destroyed ?? last.destroyed) - base.destroyed,
                took: deployment.settledAt[name].map {
                    .seconds(Int64($0.timeIntervalSince(deployment.startedAt).rounded()))
                })
        }
        let annotation = StatusAnnotation(
            result: result, fleet: deployment.fleet.name, controller: configuration.controllerID, at: Date(),
            revision: deployment.commit.hex, reason: reason, signature: deployment.verdict?.annotationSignature,
            rewrite: deployment.rewrite, services: services)
        await writeNote(on: deployment.commit, annotation.yaml())
    }

    func reject(_ commit: CommitID, reason: String, errors: [String] = [], rewrite: StatusAnnotation.Rewrite? = nil)
        async
    {
        lastRejected = commit
        logger.error(
            "rejected \(commit.short): \(reason)\(errors.isEmpty ? "" : "\n" + errors.joined(separator: "\n"))")
        let annotation = StatusAnnotation(
            result: .rejected, fleet: desired?.name ?? "", controller: configuration.controllerID, at: Date(),
            revision: commit.hex, reason: reason, errors: errors, rewrite: rewrite)
        await writeNote(on: commit, annotation.yaml())
    }

    /// Writes the note locally and pushes the notes ref (and only it); a failure is logged, never fatal.
    func writeNote(on commit: CommitID, _ text: String) async {
        guard let repository else { return }
        let author = CommitInfo.Signature(
            name: configuration.controllerID, email: "\(configuration.controllerID)@gitfleet.invalid", date: Date(),
            utcOffsetMinutes: 0)
        do {
            try repository.setNote(text, on: commit, ref: configuration.notesRef, author: author)
            if configuration.isRemote && configuration.pushNotes {
                let configuration = configuration
                let handed = GitThread.Handed(repository)
                _ = try await GitThread.run {
                    try handed.value.pushNotes(ref: configuration.notesRef, credentials: configuration.credentials)
                }
            }
        } catch {
            logger.error("status annotation on \(commit.short) not written: \(error)")
        }
    }
}
