import FleetModel
import FleetPlanner
import FleetRegistry
import Foundation

extension Controller {
    /// ``RolloutGate/promote(service:in:now:)`` asked of the running controller
    /// (`POST /api/v1/services/{name}/promote`): only the leader writes, the promotion is told as a
    /// `rollout-promoted` event naming `caller` (the API token's name, or `anonymous`) and `reason`, and the
    /// reconciler is woken so the next step starts at once.
    ///
    /// Throws what the registry throws; a `RegistryError` with code `.conflict` when the rollout changed between
    /// reading and writing it.
    public func promote(service: String, by caller: String = "anonymous", reason: String? = nil) async throws
        -> RolloutGate.Outcome
    {
        if let leadership, !(await leadership.isLeader) {
            return .notLeader(leader: await snapshot().leader)
        }
        let outcome = try await RolloutGate.promote(service: service, in: reconciler.registry, now: Date())
        guard case .done(let state) = outcome else { return outcome }
        await tellPromoted(state, by: caller, reason: reason)
        reconciler.requestPass()
        return outcome
    }

    /// ``RolloutGate/abort(service:by:reason:in:)`` asked of the running controller
    /// (`POST /api/v1/services/{name}/abort`): as ``promote(service:by:reason:)``, told as a `rollout-aborted`
    /// event; the pass it wakes starts restoring the last good spec.
    public func abort(service: String, by caller: String = "anonymous", reason: String? = nil) async throws
        -> RolloutGate.Outcome
    {
        if let leadership, !(await leadership.isLeader) {
            return .notLeader(leader: await snapshot().leader)
        }
        let outcome = try await RolloutGate.abort(
            service: service, by: caller, reason: reason, in: reconciler.registry)
        guard case .done(let state) = outcome else { return outcome }
        await tellAborted(state, by: caller, reason: reason)
        reconciler.requestPass()
        return outcome
    }

    /// Tells a promotion as a `rollout-promoted` event and records it in the note of the current commit.
    private func tellPromoted(_ state: RolloutState, by caller: String, reason: String?) async {
        let steps = state.triedSpecs.first { SpecHash($0) == state.targetSpecHash }.map {
            Canary.steps($0.rollout.steps)
        }
        let weight = steps.flatMap { $0.indices.contains(state.step) ? $0[state.step].weight : nil }
        var fields: [String: FleetEvent.Value] = [
            "by": .text(caller), "specHash": .text(state.targetSpecHash.short), "step": .number(state.step + 1),
        ]
        if let weight { fields["weight"] = .number(weight) }
        let step = "canary step \(state.step + 1)" + (weight.map { " (weight \($0)%)" } ?? "")
        await record(
            OperatorAction(
                action: "promote", service: state.service, by: caller, at: Date(), reason: reason,
                outcome: "\(state.targetSpecHash.short) on to \(step)"),
            event: .rolloutPromoted,
            "\(state.service): promoted to \(step) by \(Self.person(caller))" + (reason.map { ": \($0)" } ?? ""),
            fields: fields)
    }

    /// Tells an abort as a `rollout-aborted` event and records it in the note of the current commit.
    private func tellAborted(_ state: RolloutState, by caller: String, reason: String?) async {
        var fields: [String: FleetEvent.Value] = [
            "by": .text(caller), "specHash": .text(state.targetSpecHash.short),
            "restoring": .text(state.lastGoodSpecHash?.short ?? ""),
        ]
        let restoring = state.lastGoodSpecHash?.short ?? "the last good spec"
        await record(
            OperatorAction(
                action: "abort", service: state.service, by: caller, at: Date(), reason: reason,
                outcome: "\(state.targetSpecHash.short) failed, back to \(restoring)"),
            event: .rolloutAborted,
            "\(state.service): rollout of \(state.targetSpecHash.short) aborted by \(Self.person(caller)), rolling "
                + "back to \(state.lastGoodSpecHash?.short ?? "the last good spec")" + (reason.map { ": \($0)" } ?? ""),
            fields: fields)
    }

    /// Who asked, as a sentence names them.
    private static func person(_ caller: String) -> String {
        caller == "anonymous" ? "an operator" : caller
    }
}
