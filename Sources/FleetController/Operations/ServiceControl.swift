import FleetModel
import FleetRegistry
import Foundation

/// An operator's control of one service — `suspend`, `resume`, `rollback` — as the one registry write that the
/// CLI with the registry's own credentials and the running controller's API share, so both decide the same way.
///
/// The write is a compare-and-swap on the rollout state read just before (as ``RolloutRetry``'s is), so a
/// controller that moved the rollout meanwhile is never overwritten: the caller sees `RegistryError.Code.conflict`
/// and may ask again. A running controller acts on the change at once: its reconciler follows the registry's
/// rollout changes, and every pass reads the controls (``FreezeDecision``).
public enum ServiceControl {
    public enum Action: String, Sendable, Hashable, CaseIterable {
        case suspend, resume, rollback
    }

    public enum Outcome: Sendable, Hashable {
        /// Written: the service is suspended now.
        case suspended(Attribution)
        /// Written: the suspension (who set it, when, why) is lifted.
        case resumed(lifted: Attribution)
        /// Written: the service is pinned at an earlier good spec, which rolls out now.
        case pinned(RolloutPin)
        /// The action does not apply now (a 409), with a sentence saying why; nothing was written.
        case refused(String)
        /// The registry holds no rollout of the service.
        case unknownService
        /// This controller stands by and another one acts on the fleet (named when known); nothing was written.
        /// Only a controller answers this.
        case notLeader(leader: String?)

        /// Whether something was written.
        public var isApplied: Bool {
            switch self {
            case .suspended, .resumed, .pinned: return true
            case .refused, .unknownService, .notLeader: return false
            }
        }
    }

    /// Applies `action` to `service` in `registry`, as `attribution` asks. Throws what the registry throws; a
    /// `RegistryError` with code `.conflict` when the rollout state changed after it was read.
    public static func apply(
        _ action: Action, service: String, attribution: Attribution, in registry: any Registry
    ) async throws -> Outcome {
        guard let stored = try await registry.rolloutState(service: service) else { return .unknownService }
        var state = stored.record
        let outcome = decide(action, on: &state, attribution: attribution)
        if outcome.isApplied {
            try await registry.commit([.putRolloutState(state, expecting: .version(stored.version))])
        }
        return outcome
    }

    /// Suspends (or resumes) the whole fleet in `registry`: every service, those Git adds later included, as
    /// `attribution` asks; a service's own suspension stays as it is. `rollback` needs a service and is refused.
    /// Throws what the registry throws; a `RegistryError` with code `.conflict` when the record changed after it
    /// was read.
    public static func applyToFleet(_ action: Action, attribution: Attribution, in registry: any Registry)
        async throws -> Outcome
    {
        let stored = try await registry.fleetControls()
        var controls = stored?.record ?? FleetControls()
        let expectation: RecordExpectation = stored.map { .version($0.version) } ?? .absent
        switch action {
        case .suspend:
            if let by = controls.suspended?.by {
                return .refused("the fleet is suspended already by \(by); resume it first to suspend it anew")
            }
            controls.suspended = attribution
            try await registry.commit([.putFleetControls(controls, expecting: expectation)])
            return .suspended(attribution)
        case .resume:
            guard let lifted = controls.suspended else { return .refused("the fleet is not suspended") }
            try await registry.commit([.deleteFleetControls(expecting: expectation)])
            return .resumed(lifted: lifted)
        case .rollback:
            return .refused("a rollback acts on one service: name it")
        }
    }

    /// What `action` does to `state` (changed in place only when the outcome says it was applied).
    static func decide(_ action: Action, on state: inout RolloutState, attribution: Attribution) -> Outcome {
        let service = state.service
        switch action {
        case .suspend:
            guard state.suspend(attribution) else {
                let by = state.suspended.map { " by \($0.by)" } ?? ""
                return .refused("'\(service)' is suspended already\(by); resume it first to suspend it anew")
            }
            return .suspended(attribution)
        case .resume:
            guard let lifted = state.resume() else { return .refused("'\(service)' is not suspended") }
            return .resumed(lifted: lifted)
        case .rollback:
            switch state.pin(attribution) {
            case .success(let pin): return .pinned(pin)
            case .failure(.noGoodSpec):
                return .refused(
                    "'\(service)' has no good spec to go back to other than the one it runs (\(state.currentSpecHash.short))"
                )
            case .failure(.pinnedAlready(let spec)):
                return .refused(
                    "'\(service)' is rolled back to \(spec.short) already; a commit that changes it releases it")
            }
        }
    }
}
