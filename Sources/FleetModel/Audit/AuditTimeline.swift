import Foundation

/// The fleet's record read as a timeline: every status annotation placed at the moment it speaks of, so that
/// `gitfleet audit at` can say what ran at any moment and `gitfleet audit export` can list every event in order.
///
/// Pure: it reads the annotated commits it is given (``GitRepository/deploymentHistory(notesRef:)``) and nothing
/// else, so what it concludes is what the record supports. The rules, which docs/cli.md states for auditors:
///
/// - A deployment is every note that is not `rejected`, placed at its `started`; a note written before `started`
///   existed is placed at its `at` and, once settled, ends there too.
/// - A service's rollout settles at `started` plus the service's `took` (no later than `finished`), or at
///   `finished` when `took` is absent. Then: `converged` puts its `to` there; `rolled-back` leaves the service on
///   its last good image (the last one it converged on, or an operator rolled it back to); `failed` leaves
///   instances of both `from` and `to`; `removed` leaves nothing. A deployment that converged a service at the
///   image it already ran, creating and destroying no instance, leaves the service's provenance as it was.
/// - A service that had not settled when its deployment was `superseded` is in between (`superseded`) until a
///   later deployment settles it. One that had not settled in a deployment that ended otherwise (held by a
///   suspension, or pinned by an operator's rollback) stays as it was.
/// - An operator's `rollback` of a service moves it, at the action's `at`, to the image its outcome names.
/// - A deployment is in progress from `started` until `finished`; a note left `in-progress` (its controller
///   stopped before writing the result) until the next deployment started, or for good when none did.
public struct AuditTimeline: Sendable {
    /// One annotated commit placed in time.
    struct Note: Sendable {
        var entry: DeploymentHistoryEntry
        var annotation: StatusAnnotation
        /// `started`, or `at` for a note without it (and for a rejection).
        var started: Date
        /// `finished`, or `at` for a settled note without it; nil while in progress and for a rejection.
        var finished: Date?
        /// When it stopped being in progress: `finished`, else when the next deployment started; nil when open.
        var end: Date?
        /// The note's place in the record: by `started`, then `at`, then commit id.
        var sequence: Int

        var isDeployment: Bool { annotation.result != .rejected }
    }

    /// Every annotated commit, in record order.
    let notes: [Note]
    /// The notes that are deployments, in record order.
    let deployments: [Note]

    /// Note results that end a deployment.
    static let settledResults: Set<DeploymentResult> = [.converged, .failed, .rolledBack, .superseded]
    /// A service's results that settle its rollout.
    static let settledServiceResults: Set<DeploymentResult> = [.converged, .failed, .rolledBack, .removed]

    /// The timeline of `entries` (in any order); an entry without an annotation is not part of the record.
    public init(_ entries: [DeploymentHistoryEntry]) {
        var placed: [Note] = entries.compactMap { entry in
            guard let annotation = entry.annotation else { return nil }
            let started = annotation.result == .rejected ? annotation.at : annotation.started ?? annotation.at
            var finished = annotation.finished
            if annotation.result == .rejected || annotation.result == .inProgress {
                finished = nil
            } else if finished == nil, Self.settledResults.contains(annotation.result) {
                finished = annotation.at
            }
            // A clock that stepped back between the two writes must not end a deployment before it began.
            finished = finished.map { max($0, started) }
            return Note(
                entry: entry, annotation: annotation, started: started, finished: finished, end: finished, sequence: 0)
        }
        placed.sort { left, right in
            if left.started != right.started { return left.started < right.started }
            if left.annotation.at != right.annotation.at { return left.annotation.at < right.annotation.at }
            return left.entry.commit < right.entry.commit
        }
        for index in placed.indices { placed[index].sequence = index }
        let deploymentIndices = placed.indices.filter { placed[$0].isDeployment }
        for (position, index) in deploymentIndices.enumerated() where placed[index].end == nil {
            if position + 1 < deploymentIndices.count {
                placed[index].end = placed[deploymentIndices[position + 1]].started
            }
        }
        notes = placed
        deployments = placed.filter(\.isDeployment)
    }

    /// When the record's first deployment began; nil when it has none.
    public var firstStarted: Date? { deployments.first?.started }

    /// Every service a deployment of the record names, by name.
    public var services: [String] {
        Set(deployments.flatMap { $0.annotation.services.keys }).sorted()
    }

    /// When the first deployment naming `service` began; nil when none does.
    public func firstStarted(of service: String) -> Date? {
        deployments.first { $0.annotation.services[service] != nil }?.started
    }

    // MARK: - audit at

    /// What ran at `time`: each service the fleet had by then (named by a deployment started by then), or only
    /// `service`, and the deployments in progress then (only those naming `service`, when given).
    public func moment(at time: Date, service: String? = nil) -> AuditMoment {
        let names =
            service.map { [$0] }
            ?? Set(deployments.filter { $0.started <= time }.flatMap { $0.annotation.services.keys }).sorted()
        let inProgress = deployments.filter { note in
            note.started <= time && (note.end.map { time < $0 } ?? true)
                && (service.map { note.annotation.services[$0] != nil } ?? true)
        }
        return AuditMoment(
            time: time, services: names.map { state(of: $0, at: time) },
            inProgress: inProgress.map { audit($0, only: service) })
    }

    /// What changed `service`, in the order it happened.
    private enum Step {
        /// Its rollout in the deployment settled with this status.
        case settled(Note, ServiceStatus)
        /// The deployment ended without its rollout of the service settling.
        case unsettled(Note, ServiceStatus)
        /// An operator rolled it back; the note is the one recording the action.
        case rolledBack(OperatorAction, Note)
    }

    /// `service` at `time`: the steps up to then, folded in order.
    func state(of service: String, at time: Date) -> AuditServiceState {
        var steps: [(time: Date, rank: Int, sequence: Int, step: Step)] = []
        for note in deployments where note.started <= time {
            guard let status = note.annotation.services[service] else { continue }
            if let settled = settled(note, status) {
                if settled <= time { steps.append((settled, 0, note.sequence, .settled(note, status))) }
            } else if let finished = note.finished, finished <= time {
                steps.append((finished, 0, note.sequence, .unsettled(note, status)))
            }
        }
        for note in notes {
            for action in note.annotation.actions
            where action.action == "rollback" && action.service == service && action.at <= time {
                // After what settled in the same second: an operator reacts to a rollout, not the other way round.
                steps.append((action.at, 1, note.sequence, .rolledBack(action, note)))
            }
        }
        steps.sort { ($0.time, $0.rank, $0.sequence) < ($1.time, $1.rank, $1.sequence) }

        var current = AuditServiceState(service: service, state: .notDeployed)
        // The images the service ran healthy, oldest first, with the deployment that put each there.
        var good: [(image: String, deployment: AuditDeployment?)] = []
        for (at, _, _, step) in steps {
            switch step {
            case .settled(let note, let status):
                switch status.result {
                case .converged:
                    guard let image = status.to else { continue }
                    let unchanged = status.created == 0 && status.destroyed == 0
                    if current.state == .running, current.image == image, unchanged { continue }
                    let deployment = audit(note, only: service)
                    current = AuditServiceState(
                        service: service, state: .running, image: image, since: at, deployment: deployment)
                    good.append((image, deployment))
                case .rolledBack:
                    let kept = good.last
                    current = AuditServiceState(
                        service: service, state: .rolledBack, image: kept?.image ?? status.from, since: at,
                        deployment: kept?.deployment, rollback: audit(note, only: service))
                case .failed:
                    current = AuditServiceState(
                        service: service, state: .failed, since: at, deployment: audit(note, only: service))
                case .removed:
                    current = AuditServiceState(
                        service: service, state: .removed, since: at, deployment: audit(note, only: service))
                    good = []
                default:
                    continue
                }
            case .unsettled(let note, let status):
                // Held or pinned, the service stayed where it was; only a newer commit leaves it in between.
                guard note.annotation.result == .superseded else { continue }
                if let from = status.from, from == status.to { continue }
                current = AuditServiceState(
                    service: service, state: .superseded, since: at, deployment: audit(note, only: service))
            case .rolledBack(let action, let note):
                let image = Self.rollbackImage(action.outcome)
                let origin = image.flatMap { image in good.last { $0.image == image } }
                current = AuditServiceState(
                    service: service, state: .rolledBack, image: image, since: at, deployment: origin?.deployment,
                    action: AuditAction(action, commit: note.entry.commit))
                if let image { good.append((image, origin?.deployment)) }
            }
        }
        return current
    }

    /// The image an operator's `rollback` went back to, from its outcome (`back to 1a2b3c4d
    /// (demo/web:1.0.0@sha256:…) until a commit changes it`); nil when the outcome does not name one (a rollback
    /// written to the registry directly says `written to the registry directly`).
    static func rollbackImage(_ outcome: String?) -> String? {
        guard let outcome, outcome.hasPrefix("back to "), let open = outcome.firstIndex(of: "("),
            let close = outcome[open...].firstIndex(of: ")")
        else { return nil }
        let image = outcome[outcome.index(after: open)..<close]
        return image.isEmpty ? nil : String(image)
    }

    /// When `status`'s rollout in `note` settled; nil while it has not.
    func settled(_ note: Note, _ status: ServiceStatus) -> Date? {
        guard Self.settledServiceResults.contains(status.result) else { return nil }
        // An in-progress note reports what had settled by the time it was written.
        var at = note.finished ?? note.annotation.at
        if let took = status.took {
            let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            at = min(at, note.started.addingTimeInterval(seconds))
        }
        return max(at, note.started)
    }

    /// `note` as the audit commands show a deployment, with only `service`'s change when one is given.
    func audit(_ note: Note, only service: String? = nil) -> AuditDeployment {
        let annotation = note.annotation
        let changes = annotation.services.filter { service == nil || $0.key == service }.sorted { $0.key < $1.key }
        return AuditDeployment(
            commit: note.entry.commit, message: note.entry.summary, author: note.entry.author,
            committer: note.entry.committer, signature: annotation.signature?.method ?? AuditDeployment.unverified,
            signer: annotation.signature?.signer, fleet: annotation.fleet, controller: annotation.controller,
            result: annotation.result, started: note.started, finished: note.finished, reason: annotation.reason,
            services: changes.map { name, status in
                AuditDeployment.Change(
                    service: name, result: status.result, from: status.from, to: status.to,
                    settled: settled(note, status), reason: status.reason)
            })
    }

    // MARK: - audit export

    /// Every event of the record whose time is in `since ..< until` (either bound optional), oldest first: per
    /// deployment one row per service it names (`deployment`, or `rollback` for a service whose rollout was rolled
    /// back) at its `started`, a `rejection` at the note's `at`, and an `action` at the action's `at`.
    ///
    /// Rows of the same second keep the record's order (``Note/sequence``), a note's own rows before its actions,
    /// its services by name and its actions as the note lists them.
    public func events(since: Date? = nil, until: Date? = nil) -> [AuditEvent] {
        var rows: [(event: AuditEvent, sequence: Int, rank: Int, order: Int)] = []
        for note in notes {
            let annotation = note.annotation
            func event(_ kind: AuditEvent.Kind, at time: Date) -> AuditEvent {
                var event = AuditEvent(time: time, kind: kind, commit: note.entry.commit, fleet: annotation.fleet)
                event.result = annotation.result
                event.author = note.entry.author
                event.committer = note.entry.committer
                event.signature = annotation.signature?.method ?? AuditDeployment.unverified
                event.signer = annotation.signature?.signer
                event.by = annotation.controller
                return event
            }
            if annotation.result == .rejected {
                var rejection = event(.rejection, at: annotation.at)
                let reason = ([annotation.reason].compactMap { $0 } + annotation.errors).joined(separator: "\n")
                rejection.reason = reason.isEmpty ? nil : reason
                rows.append((rejection, note.sequence, 0, 0))
            } else if annotation.services.isEmpty {
                var deployment = event(annotation.result == .rolledBack ? .rollback : .deployment, at: note.started)
                deployment.finished = note.finished
                deployment.reason = annotation.reason
                rows.append((deployment, note.sequence, 0, 0))
            } else {
                for (order, (name, status)) in annotation.services.sorted(by: { $0.key < $1.key }).enumerated() {
                    var deployment = event(status.result == .rolledBack ? .rollback : .deployment, at: note.started)
                    deployment.service = name
                    deployment.serviceResult = status.result
                    deployment.from = status.from
                    deployment.to = status.to
                    deployment.finished = note.finished
                    deployment.reason = status.reason ?? annotation.reason
                    rows.append((deployment, note.sequence, 0, order))
                }
            }
            for (order, action) in annotation.actions.enumerated() {
                var row = AuditEvent(time: action.at, kind: .action, commit: note.entry.commit, fleet: annotation.fleet)
                row.service = action.service
                row.by = action.by
                row.action = action.action
                row.outcome = action.outcome
                row.reason = action.reason
                rows.append((row, note.sequence, 1, order))
            }
        }
        return
            rows
            .filter { row in
                (since.map { row.event.time >= $0 } ?? true) && (until.map { row.event.time < $0 } ?? true)
            }
            .sorted { left, right in
                (left.event.time, left.sequence, left.rank, left.order)
                    < (right.event.time, right.sequence, right.rank, right.order)
            }
            .map(\.event)
    }
}
