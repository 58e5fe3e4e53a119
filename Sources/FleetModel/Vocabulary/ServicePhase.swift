/// Where one service stands now, as `/api/v1/status`, `/api/v1/services/{name}`, `gitfleet apply`,
/// `gitfleet status` and the `gitfleet_service_phase` metric say it.
///
/// The raw values are the one spelling (kebab-case, like the notes); docs/http-api.md lists every one and a test
/// fails when the two disagree, so add a case only together with its line in the docs.
public enum ServicePhase: String, CaseIterable, Hashable, Sendable, Codable {
    /// Instances of the target spec are being created, health-checked or promoted, or old ones retired.
    case inProgress = "in-progress"
    /// Waiting for the services it depends on to converge.
    case waiting
    /// A canary waits at a gate step (`pause: {}`) for `gitfleet promote` (or `abort`). Not settled: the commit's
    /// deployment is still in progress.
    case paused
    /// Every instance runs the target spec and serves; nothing left to do.
    case converged
    /// The target failed; the last good spec is being restored.
    case rollingBack = "rolling-back"
    /// The target failed and the last good spec is back at full capacity.
    case rolledBack = "rolled-back"
    /// The target failed and there is no last good spec to return to (or automatic rollback is off).
    case failed
    /// No longer in Git: its instances are being drained.
    case removing
    /// No longer in Git and no instance of it is left.
    case removed
    /// The controller has instances of it in the registry but has not looked at it since it started.
    case unknown

    /// Settled phases end an `apply` and a deployment: nothing more happens until something changes.
    public var isSettled: Bool {
        switch self {
        case .converged, .rolledBack, .failed, .removed: return true
        case .inProgress, .waiting, .paused, .rollingBack, .removing, .unknown: return false
        }
    }

    /// What a status annotation records for a service in this phase: a phase that has not settled is still
    /// `in-progress` for the commit.
    public var deploymentResult: DeploymentResult {
        switch self {
        case .converged: return .converged
        case .rolledBack: return .rolledBack
        case .failed: return .failed
        case .removed: return .removed
        case .inProgress, .waiting, .paused, .rollingBack, .removing, .unknown: return .inProgress
        }
    }
}
