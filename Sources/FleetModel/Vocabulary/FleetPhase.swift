/// Where the whole fleet stands: the `result` of `/api/v1/status`.
///
/// Derived, never stored: ``of(services:deploying:rejected:standby:)`` computes it from what the controller
/// knows after a pass, so the API, the CLI and the dashboard cannot disagree about it. The raw values are the
/// one spelling; docs/http-api.md lists every one and a test fails when the two disagree.
public enum FleetPhase: String, CaseIterable, Hashable, Sendable, Codable {
    /// A commit is being rolled out, or some service has not settled.
    case inProgress = "in-progress"
    /// Every service in Git runs its desired spec and serves, and no removed service has instances left.
    case converged
    /// Some service's rollout failed and could not be rolled back.
    case failed
    /// Some service's rollout failed and its last good spec was restored.
    case rolledBack = "rolled-back"
    /// The newest commit of the tracked branch was rejected (invalid manifests, an untrusted signature or a
    /// refused history rewrite); the fleet keeps running what it ran before.
    case rejected
    /// This replica does not lead; another controller acts on the fleet (etcd registry).
    case standby

    /// The fleet's phase from its parts.
    ///
    /// The order says what a person should hear first: a replica that does not lead knows nothing current; a
    /// rejected newest commit is the latest news about the branch even while the fleet still settles the commit
    /// before it; then anything still moving; then the worst settled outcome.
    /// - Parameters:
    ///   - services: the phase of every service in the desired state or the registry.
    ///   - deploying: whether a commit's deployment is open (not every service has settled for it yet).
    ///   - rejected: whether the newest commit fetched from the tracked branch was rejected and nothing newer
    ///     was admitted since.
    ///   - standby: whether another replica leads.
    public static func of(services: [ServicePhase], deploying: Bool, rejected: Bool, standby: Bool) -> FleetPhase {
        if standby { return .standby }
        if rejected { return .rejected }
        if deploying || services.contains(where: { !$0.isSettled }) { return .inProgress }
        if services.contains(.failed) { return .failed }
        if services.contains(.rolledBack) { return .rolledBack }
        return .converged
    }
}
