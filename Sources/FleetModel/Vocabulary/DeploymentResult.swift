/// What the controller made of a commit, or of one service at that commit: the `result` of a status annotation.
///
/// One of the three words of gitfleet's phase vocabulary (with ``ServicePhase`` and ``FleetPhase``); the raw
/// values are the only spelling, used alike by the notes, `gitfleet history`, the HTTP API and the metrics, and
/// docs/auditing.md lists every one (a test holds them together).
public enum DeploymentResult: String, CaseIterable, Hashable, Sendable, Codable {
    /// The controller is acting on the commit now.
    case inProgress = "in-progress"
    /// The live fleet matches the commit.
    case converged
    /// The rollout stopped without reaching the commit's state.
    case failed
    /// The rollout failed and the last good state was restored.
    case rolledBack = "rolled-back"
    /// The commit was never acted on: invalid manifests, an untrusted signature or a refused history rewrite.
    case rejected
    /// A newer commit arrived before this one settled and took over; it was not carried to the end.
    case superseded
    /// Of one service only: the commit removed it from Git and its instances were drained and destroyed.
    case removed
}
