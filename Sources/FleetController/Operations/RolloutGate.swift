import FleetModel
import FleetRegistry
import Foundation

/// An operator's answer to a canary gate: `promote` (the rollout leaves the gate it waits at for the next step) or
/// `abort` (the rollout is failed at once and the last good spec restored). The one registry write that
/// `gitfleet promote|abort` with the registry's own credentials and `POST /api/v1/services/{name}/promote|abort`
/// through a running controller share, so both move the rollout the same way.
///
/// As ``RolloutRetry``, the write is a compare-and-swap on the rollout state read just before: a controller that
/// moved the rollout meanwhile is never overwritten (the caller sees `RegistryError.Code.conflict` and may ask
/// again), and a running controller acts on the change at once (its reconciler follows rollout changes).
public enum RolloutGate {
    public enum Outcome: Sendable, Hashable {
        /// Done: the rollout state as written.
        case done(RolloutState)
        /// The action does not apply to the rollout now; why, in a sentence for a person. Nothing was written.
        case refused(String)
        /// The registry holds no rollout of the service.
        case unknownService
        /// This controller stands by and another one acts on the fleet (named when known); nothing was written.
        /// Only a controller answers this.
        case notLeader(leader: String?)
    }

    /// Moves the rollout of `service` past the gate it waits at. Refused when it waits at none.
    public static func promote(service: String, in registry: any Registry, now: Date) async throws -> Outcome {
        try await change(service, in: registry) { state in
            guard state.promote(now: now) == nil else { return nil }
            return "the rollout of '\(service)' waits at no canary gate (it is \(state.servicePhase.rawValue))"
        }
    }

    /// Aborts the rollout of `service`, paused at a gate or progressing: its target is failed (not tried again
    /// until the spec changes or a retry) and the last good spec restored. `by` (who asked) and `reason` go into
    /// the rollout's message, which status shows while it rolls back. Refused when there is nothing to abort.
    public static func abort(service: String, by: String, reason: String?, in registry: any Registry) async throws
        -> Outcome
    {
        let message = "aborted by \(by)" + (reason.map { ": \($0)" } ?? "")
        return try await change(service, in: registry) { state in
            switch state.abort(reason: message) {
            case nil:
                return nil
            case .notInFlight(let phase)?:
                return
                    "no rollout of '\(service)' is under way (it is \(phase.servicePhase.rawValue)); nothing to abort"
            case .nothingToRestore?:
                return "the rollout of '\(service)' is its first: there is no good spec to roll back to"
            }
        }
    }

    /// Reads the rollout state, applies `transition` (which returns why it refused, or `nil` when it changed the
    /// state) and writes the result as a compare-and-swap.
    private static func change(
        _ service: String, in registry: any Registry, _ transition: (inout RolloutState) -> String?
    ) async throws -> Outcome {
        guard let stored = try await registry.rolloutState(service: service) else { return .unknownService }
        var state = stored.record
        if let refusal = transition(&state) { return .refused(refusal) }
        try await registry.commit([.putRolloutState(state, expecting: .version(stored.version))])
        return .done(state)
    }
}
