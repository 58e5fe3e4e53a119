import FleetModel
import FleetRegistry
import Foundation

extension Controller {
    /// ``RolloutRetry`` asked of the running controller (`POST /api/v1/services/{name}/retry`): only the
    /// leader writes, the retry is told as a `rollout-retried` event (which logs it) and the reconciler is woken
    /// so the rollout starts at once rather than at the next resync. `caller` (the API token's name, or
    /// `anonymous`) is the event's `by`: who asked.
    ///
    /// Throws what the registry throws; a `RegistryError` with code `.conflict` when the rollout changed
    /// between reading and writing it.
    public func retry(service: String, by caller: String = "anonymous", reason: String? = nil) async throws
        -> RolloutRetry.Outcome
    {
        if let leadership, !(await leadership.isLeader) {
            return .notLeader(leader: await snapshot().leader)
        }
        let outcome = try await RolloutRetry.retry(service: service, in: reconciler.registry, now: Date())
        guard case .retried(let specs) = outcome else { return outcome }
        let hashes = specs.map(\.short).joined(separator: ", ")
        await record(
            OperatorAction(
                action: "retry", service: service, by: caller, at: Date(), reason: reason,
                outcome: "failed spec \(hashes) tried again"),
            event: .rolloutRetried,
            "\(service): failed spec \(hashes) will be tried again, as "
                + (caller == "anonymous" ? "an operator" : caller) + " asked",
            fields: ["specHashes": .text(specs.map(\.short).joined(separator: " "))])
        reconciler.requestPass()
        return outcome
    }
}
