import FleetModel
import FleetRegistry
import Foundation

/// An operator's request that a service's failed specs be tried again: the one registry write that
/// `gitfleet retry` (with the registry's own credentials) and `POST /api/v1/services/{name}/retry` (through a
/// running controller) share, so both forget the same specs the same way.
///
/// The write is a compare-and-swap on the rollout state read just before, so a controller that moved the
/// rollout meanwhile is never overwritten: the caller sees `RegistryError.Code.conflict` and may ask again.
/// A running controller acts on the change at once (its reconciler follows the registry's rollout changes).
public enum RolloutRetry {
    public enum Outcome: Sendable, Hashable {
        /// The specs forgotten, sorted; the desired spec rolls out again with a fresh progress deadline.
        case retried([SpecHash])
        /// The service has a rollout, but none of its specs had failed; nothing was written.
        case nothingFailed
        /// The registry holds no rollout of the service.
        case unknownService
        /// This controller stands by and another one acts on the fleet (named when known); nothing was written.
        /// Only a controller answers this.
        case notLeader(leader: String?)
    }

    /// Forgets the failed specs of `service` in `registry`. Throws what the registry throws; a
    /// `RegistryError` with code `.conflict` when the rollout state changed after it was read.
    public static func retry(service: String, in registry: any Registry, now: Date) async throws -> Outcome {
        guard let stored = try await registry.rolloutState(service: service) else { return .unknownService }
        var state = stored.record
        guard let forgotten = state.retry(now: now) else { return .nothingFailed }
        try await registry.commit([.putRolloutState(state, expecting: .version(stored.version))])
        return .retried(forgotten.sorted())
    }
}
