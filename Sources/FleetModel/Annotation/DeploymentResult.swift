/// What the controller made of a commit, or of one service at that commit.
public enum DeploymentResult: String, CaseIterable, Hashable, Sendable {
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
}
