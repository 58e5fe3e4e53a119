import FleetModel
import Foundation

/// The recording calls the controller and the HTTP server make, one per event, so the label names and values of
/// the gitfleet families are spelled in one place.
extension FleetMetrics {
    /// One reconcile pass ended with `result` (`converged`, `in-progress`, `error`) after `duration`; any result
    /// but `error` means the pass ran to its end.
    public func recordReconcile(result: String, duration: Duration, at time: Date = Date()) {
        increment(.reconciles, labels: ["result": result])
        observe(.reconcileDuration, duration)
        if result != "error" { set(.lastSuccessfulReconcile, to: time.timeIntervalSince1970) }
    }

    /// A rollout of `service` ended with `result`, spelled as in the status annotations.
    public func recordRollout(service: String, result: DeploymentResult) {
        increment(.rollouts, labels: ["service": service, "result": result.rawValue])
    }

    /// `service` is in `phase` as of the last pass; every `ServicePhase` gets a series (0 when not in it), so a
    /// dashboard can graph each phase and alert on `failed` without knowing the previous value.
    public func setServicePhase(service: String, phase: ServicePhase) {
        for each in ServicePhase.allCases {
            set(.servicePhase, to: each == phase ? 1 : 0, labels: ["service": service, "phase": each.rawValue])
        }
    }

    /// The instances of `service` as last observed; every `InstanceState` gets a series (0 when absent) so a
    /// state that empties drops to 0 instead of keeping its last value.
    public func setInstanceCounts(service: String, counts: [InstanceState: Int]) {
        for state in InstanceState.allCases {
            set(.instances, to: Double(counts[state] ?? 0), labels: ["service": service, "state": state.rawValue])
        }
    }

    /// Forgets the instance gauges of a service that is no longer in the desired state or the registry.
    public func removeService(_ service: String) {
        remove(.instances, matching: ["service": service])
        remove(.servicePhase, matching: ["service": service])
    }

    /// Forgets the per-service gauges of every service not in `services` (those the last pass reported, the
    /// desired state and the registry name): a removed service's series go once it is gone, instead of staying
    /// at their last value forever.
    public func retainServices(_ services: Set<String>) {
        // `service` is the first label of both families.
        for family in [MetricFamily.instances, .servicePhase] {
            remove(family) { values in !services.contains(values[0]) }
        }
    }

    /// Drift of `kind` was found in `service` (e.g. `unknown_instance`, `wrong_spec`, `stale_record`, `exited`,
    /// `unhealthy`).
    public func recordDrift(service: String, kind: String, count: Int = 1) {
        increment(.driftFound, by: count, labels: ["service": service, "kind": kind])
    }

    /// A fetch of the fleet repository took `duration`; a failed one also counts as a Git failure with `failureCode`
    /// (a `GitError.Code` raw value).
    public func recordGitFetch(duration: Duration, failureCode: String? = nil) {
        observe(.gitFetchDuration, duration)
        if let failureCode {
            recordGitFailure(operation: "fetch", code: failureCode)
        }
    }

    /// The tracked branch was read from the remote: a head lookup found nothing new, or a fetch brought it.
    public func recordRemoteRead(at time: Date = Date()) {
        set(.lastSuccessfulFetch, to: time.timeIntervalSince1970)
    }

    /// A Git operation (`fetch`, `read`, `notes`) failed with `code`.
    public func recordGitFailure(operation: String, code: String) {
        increment(.gitFailures, labels: ["operation": operation, "code": code])
    }

    /// How many commits' notes are written locally but not on the remote yet.
    public func setNotesUnpushed(_ count: Int) {
        set(.notesUnpushed, to: Double(count))
    }

    /// The fleet is converged to `revision`; the previous revision's series disappears.
    public func setDeployedRevision(_ revision: String) {
        replaceAll(.deployedRevision, with: [(labels: ["revision": revision], value: 1)])
    }

    /// The release and the commit this gitfleet was built from (`gitfleet --version`), set once when it starts.
    public func setBuildInfo(version: String, commit: String) {
        replaceAll(.buildInfo, with: [(labels: ["version": version, "commit": commit], value: 1)])
    }

    /// Starts both "last successful" gauges at the process's start, so a controller whose first reconcile or
    /// fetch never succeeds ages from its start and the stalled alerts (docs/operations.md) fire; without a
    /// series they would evaluate to nothing forever.
    public func setStarted(at time: Date) {
        set(.lastSuccessfulReconcile, to: time.timeIntervalSince1970)
        set(.lastSuccessfulFetch, to: time.timeIntervalSince1970)
    }

    /// Whether this controller leads (1) or stands by (0) among replicas sharing an etcd registry.
    public func setLeader(_ leading: Bool) {
        set(.leader, to: leading ? 1 : 0)
    }

    /// A webhook request from `provider` ended with `outcome` (`triggered`, `ignored`, `unauthorized`, `malformed`,
    /// `too_large`).
    public func recordWebhook(provider: String, outcome: String) {
        increment(.webhookRequests, labels: ["provider": provider, "outcome": outcome])
    }
}
