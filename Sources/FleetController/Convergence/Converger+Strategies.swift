import FleetModel
import FleetPlanner
import FleetRegistry
import Foundation

/// What blueGreen and canary add to the rolling pass: the traffic switch, canary steps and canary failure.
extension Converger {
    /// The strategy a pass follows. A failed canary returns to the last good spec as a rolling update
    /// (its steps are for trying a new spec, not for restoring a known one); blueGreen keeps its own,
    /// whose switch back to a kept old set is one step.
    static func strategy(of target: ServiceSpec, failed: Bool) -> RolloutPolicy.Strategy {
        target.rollout.strategy == .canary && failed ? .rolling : target.rollout.strategy
    }

    /// blueGreen's switch: `publish` start serving and `unpublish` stop serving (kept `ready`), in one
    /// registry commit, so every output changes in one publication.
    func switchServingSet(publish: [String], unpublish: [String], in world: inout ObservedWorld, now: Date)
        async throws
    {
        var changed: [InstanceRecord] = []
        for (ids, state) in [(publish, InstanceState.serving), (unpublish, .ready)] {
            for id in ids {
                guard var record = world.records[id] else { continue }
                record.state = state
                record.updatedAt = now
                changed.append(record)
            }
        }
        guard let first = changed.first else { return }
        try await journal(changed, in: &world)
        // Event: blueGreen's one step.
        await events?.emit(
            .rolloutStep, service: first.service, commit: world.revision,
            "\(first.service): switched traffic to \(publish.count) new instance(s), \(unpublish.count) old kept ready",
            fields: [
                "strategy": "blueGreen", "published": .number(publish.count), "unpublished": .number(unpublish.count),
            ])
    }

    /// Moves a canary to its next step once the current one is reached and its pause has passed.
    /// Returns whether it is pausing. Also sets the service's traffic split to the step's weight.
    func advanceCanaryStep(
        _ state: inout RolloutState, target: ServiceSpec, snapshot: RolloutSnapshot, world: inout ObservedWorld,
        now: Date
    ) async throws -> Bool {
        let steps = Canary.steps(target.rollout.steps)
        let hash = SpecHash(target)
        state.advance(toStep: min(max(state.step, 0), steps.count - 1))
        defer { trafficSplits[target.name] = ServingSet.TrafficSplit(target: hash, percent: steps[state.step].weight) }
        let step = steps[state.step]
        if state.phase == .paused, !step.gate { state.gateRemoved(now: now) }
        guard state.step < steps.count - 1, Canary.reached(snapshot, weight: step.weight) else { return false }
        // A first rollout passes its gates, as Argo Rollouts' initial deploy does: there is no stable version to
        // compare the canary with, nor one an abort could return to.
        if step.gate, state.lastGoodSpec != nil {
            if state.pause(now: now) { await rolloutPaused(state, steps: steps) }
            return true
        }
        // The step was reached when its last new instance started serving.
        let reachedAt =
            world.records(of: target.name).filter { $0.specHash == hash && $0.state == .serving }.map(\.updatedAt)
            .max() ?? now
        let until = reachedAt.addingTimeInterval(TimeInterval(step.pause.milliseconds) / 1000)
        guard now >= until else {
            pacing.due(at: until)
            return true
        }
        state.advance(toStep: state.step + 1)
        pacing.changed = true
        // Event: the canary moved on to its next weight.
        await rolloutEvent(
            .rolloutStep, state, "canary step \(state.step + 1) of \(steps.count): weight \(steps[state.step].weight)%",
            fields: [
                "strategy": "canary", "step": .number(state.step + 1), "steps": .number(steps.count),
                "weight": .number(steps[state.step].weight),
            ])
        return false
    }

    /// The event of a canary that reached a gate: the one place it is told, so it can be routed elsewhere as well.
    private func rolloutPaused(_ state: RolloutState, steps: [RolloutPolicy.CanaryStep]) async {
        let weight = steps[state.step].weight
        // Event: the canary waits at a gate for a person.
        await rolloutEvent(
            .rolloutPaused, state,
            "canary step \(state.step + 1) of \(steps.count) (weight \(weight)%) waits for promote or abort",
            fields: [
                "strategy": "canary", "step": .number(state.step + 1), "steps": .number(steps.count),
                "weight": .number(weight),
            ])
    }

    /// Where a canary waits, if it waits at a gate.
    static func gate(of state: RolloutState, target: ServiceSpec, now: Date) -> CanaryGate? {
        guard state.phase == .paused else { return nil }
        return Canary.gate(at: state.step, of: target.rollout.steps, since: state.pausedSince ?? now)
    }

    /// Why a canary failed, if it did: an instance of the new spec made for this rollout failed health.
    func canaryFailure(of desired: ServiceSpec, state: RolloutState, world: ObservedWorld) -> String? {
        let hash = SpecHash(desired)
        guard
            let failed = world.records(of: desired.name).filter({
                $0.specHash == hash && ($0.state == .failed || $0.state == .quarantined)
                    && $0.createdAt >= state.startedAt
            }).max(by: { $0.updatedAt < $1.updatedAt })
        else { return nil }
        let steps = Canary.steps(desired.rollout.steps)
        let step = min(state.step, steps.count - 1)
        return "canary failed at step \(step + 1) of \(steps.count) (weight \(steps[step].weight)%): instance "
            + "\(failed.id) \(failed.reason ?? "failed")"
    }
}
