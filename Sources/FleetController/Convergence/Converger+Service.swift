import FleetModel
import FleetPlanner
import FleetRegistry
import FleetRuntime
import Foundation

extension Converger {
    /// One pass over one desired service: choose the target (the desired spec, or the last good one
    /// when the desired spec has failed before), advance health, apply the rolling decision, finish
    /// drains, and judge progress against the deadline.
    func reconcile(service desired: ServiceSpec, world: inout ObservedWorld, now: Date) async throws
        -> ServiceConvergence
    {
        let desiredHash = SpecHash(desired)
        let recorded = world.rolloutVersions[desired.name]?.record
        var state =
            recorded
            ?? .begin(service: desired.name, target: desiredHash, revision: world.revision, now: now)
        let transition = recorded == nil ? .begun : state.desire(desiredHash, revision: world.revision, now: now)
        if case .superseded(let previous) = transition, let recorded {
            // Event: a rollout still in flight gives way to the new target.
            await rolloutEvent(
                .rolloutSuperseded, recorded, "rollout of \(previous.short) superseded by \(desiredHash.short)",
                fields: ["by": .text(desiredHash.short)])
        }
        if transition != nil {
            // Event: the rollout to the desired spec begins.
            await rolloutEvent(
                .rolloutStarted, state, "rollout of \(desiredHash.short) (\(desired.image)) started",
                fields: [
                    "strategy": .text(desired.rollout.strategy.rawValue), "image": .text(desired.image.description),
                    "from": .text(state.lastGoodSpecHash?.short ?? ""),
                ])
        }

        let target: ServiceSpec?
        switch state.target(desired: desiredHash) {
        case .desired:
            target = desired
        case .lastGood(let good):
            // Counts and pacing always follow Git; only what runs falls back.
            var restored = good
            restored.replicas = desired.replicas
            restored.rollout = desired.rollout
            restored.drain = desired.drain
            target = restored
        case .none:
            target = nil
        }

        let targetHash = target.map(SpecHash.init)
        var progressed = false
        // Waiting on purpose (a canary's pause, blueGreen's scaleDownDelay, a discovery reload that
        // fails) is not a lack of progress: the progress deadline must not fail the rollout for it.
        var waiting = false
        if let target, let targetHash {
            let strategy = Self.strategy(of: target, failed: state.isRolledBackFrom(desiredHash))
            // A gate of a canary that is no canary any more (same spec hash, new strategy) holds nothing.
            if strategy != .canary { state.gateRemoved(now: now) }
            progressed = try await advanceHealth(
                of: target, hash: targetHash, promotion: strategy == .blueGreen ? .ready : .serving, world: &world,
                now: now)
            let records = world.records(of: desired.name)
            let snapshot = RolloutSnapshot(
                records: records, target: targetHash, replicas: target.replicas, rollout: target.rollout,
                expired: PhoenixRotation.expired(
                    records, target: targetHash, replicas: target.replicas, maxAge: target.maxAge, now: now))
            let decision: RolloutDecision
            switch strategy {
            case .rolling:
                decision = RollingUpdate.decide(snapshot)
            case .blueGreen:
                decision = BlueGreen.decide(
                    snapshot, scaleDownDelay: TimeInterval(target.rollout.scaleDownDelay.milliseconds) / 1000,
                    now: now.timeIntervalSince1970)
            case .canary:
                waiting = try await advanceCanaryStep(
                    &state, target: target, snapshot: snapshot, world: &world, now: now)
                decision = Canary.decide(snapshot, weight: Canary.steps(target.rollout.steps)[state.step].weight)
            }
            if let notBefore = decision.notBefore {
                waiting = true
                pacing.due(at: Date(timeIntervalSince1970: notBefore))
            }
            // The current serving set must be confirmed before anything leaves it, and what leaves must
            // be confirmed gone before its drain delay starts (finishDraining waits for that).
            if decision.changesServingSet {
                if await publishServingSet(world) {
                    try await switchServingSet(
                        publish: decision.publish, unpublish: decision.unpublish, in: &world, now: now)
                    try await retire(decision.retire, in: &world, now: now)
                    progressed = true
                    await publishServingSet(world)
                } else {
                    waiting = true
                }
            }
            let mayCreate = now >= (backoff[desired.name]?.notBefore ?? .distantPast)
            if !mayCreate, decision.create > 0, let notBefore = backoff[desired.name]?.notBefore {
                pacing.due(at: notBefore)
            }
            try await create(
                target, specHash: targetHash, count: mayCreate ? decision.create : 0, revision: world.revision,
                in: &world, now: now)
        } else {
            try await retire(
                world.records(of: desired.name).filter(\.state.isLive).map(\.id), in: &world, now: now)
        }
        let drained = try await finishDraining(
            world.records(of: desired.name), drain: desired.drain, in: &world, now: now)
        if drained > 0 || progressed {
            state.progress(now: now)
        } else if waiting || (discovery != nil && discoveryProblem != nil), state.phase != .paused,
            now.timeIntervalSince(state.lastProgressAt) >= 1
        {
            // At most once a second, so a long pause does not write the rollout state on every pass; a gate's wait
            // writes nothing, since the deadline does not run there.
            state.progress(now: now)
        }

        let records = world.records(of: desired.name)
        let phase = try await judge(
            &state, desired: desired, desiredHash: desiredHash, target: target, records: records, world: &world,
            now: now)
        // Kept with the rollout, so the live-state document can name the fields a plan changes against it.
        state.remember(desired)
        if state != recorded {
            let stored = world.rolloutVersions[desired.name]
            do {
                let version = try await registry.commit([
                    .putRolloutState(state, expecting: stored.map { .version($0.version) } ?? .absent)
                ])
                CrashPoint.pass("rollout state recorded")
                world.rolloutVersions[desired.name] = Versioned(state, version: version)
            } catch let error as RegistryError where error.code == .conflict {
                // An operator wrote the rollout state during this pass (suspend, rollback, promote, abort, retry):
                // theirs stands, and the registry's feed brings the pass that starts from it.
                logger.info(
                    "\(desired.name): the rollout state changed during the pass; the next pass starts from it",
                    metadata: ["service": "\(desired.name)"])
            }
        }
        return summary(of: desired.name, target: target, world: world, phase: phase)
    }

    /// Decides the phase, records convergence, and fails a rollout that missed its progress deadline.
    private func judge(
        _ state: inout RolloutState, desired: ServiceSpec, desiredHash: SpecHash, target: ServiceSpec?,
        records: [InstanceRecord], world: inout ObservedWorld, now: Date
    ) async throws -> ServiceConvergence.Phase {
        let live = records.filter { $0.state.isLive }
        guard let target else {
            let reason = state.message ?? "spec \(desiredHash.short) failed"
            return .failed(reason: reason)
        }
        let targetHash = SpecHash(target)
        let converged =
            live.count == target.replicas
            && live.allSatisfy { $0.specHash == targetHash && $0.state == .serving }

        if state.isRolledBackFrom(desiredHash) {
            let reason = state.message ?? "spec \(desiredHash.short) failed"
            if converged {
                let wasRolledBack = state.phase == .rolledBack
                state.converged(on: target, desired: desiredHash, revision: world.revision)
                if !wasRolledBack {
                    // Event: the last good spec serves at full capacity again.
                    await rolloutEvent(
                        .rolloutRolledBack, state,
                        "rolled back to \(state.lastGoodSpecHash?.short ?? "the last good spec")", reason: reason)
                }
                return .rolledBack(reason: reason)
            }
            return .rollingBack(reason: reason)
        }
        // At a gate the rollout waits for a person even when the gate's weight already covers every instance.
        if converged, state.phase != .paused {
            let before = (state.phase, state.lastGoodSpecHash)
            state.converged(on: target, desired: desiredHash, revision: world.revision)
            if before != (state.phase, state.lastGoodSpecHash) {
                // Event: the rollout reached its target.
                await rolloutEvent(.rolloutConverged, state, "rollout of \(targetHash.short) converged")
            }
            backoff[desired.name] = nil
            return .converged
        }
        if !desired.rollout.autoRollback, state.phase == .failed, targetHash == desiredHash {
            // Reported once; the rolling update keeps trying the desired spec, paced by the creation back-off.
            return .failed(reason: state.message ?? "spec \(desiredHash.short) failed")
        }
        let deadline = TimeInterval(desired.rollout.progressDeadline.milliseconds) / 1000
        if state.phase == .progressing { pacing.due(at: state.lastProgressAt.addingTimeInterval(deadline)) }
        var failure: String? = nil
        if desired.rollout.strategy == .canary, let reason = canaryFailure(of: desired, state: state, world: world) {
            failure = reason
        } else if state.phase == .progressing, now.timeIntervalSince(state.lastProgressAt) > deadline {
            failure =
                "no progress within progressDeadline \(desired.rollout.progressDeadline.manifestDescription)"
                + (lastFailure(of: desired.name, hash: desiredHash, world: world).map { ": \($0)" } ?? "")
        }
        if let reason = failure, !desired.rollout.autoRollback {
            // As Kubernetes does with a missed progress deadline: say so, roll nothing back. What serves keeps
            // serving (the rolling bounds still hold) and the desired spec is tried again with back-off.
            let held = reason + "; autoRollback is off: nothing was rolled back, the spec is retried with back-off"
            state.fail(reason: held, autoRollback: false)
            // Event: the rollout failed; nothing is rolled back.
            await rolloutEvent(.rolloutFailed, state, "rollout failed", reason: held, fields: ["rollback": false])
            for record in live where record.specHash == desiredHash && record.state != .serving {
                try await fail(record, reason: "rollout failed: \(reason)", in: &world, now: now)
            }
            return .failed(reason: held)
        }
        if let reason = failure {
            state.fail(reason: reason, autoRollback: true)
            // Event: the rollout failed; with a last good spec it is rolled back.
            await rolloutEvent(
                .rolloutFailed, state, "rollout failed", reason: reason,
                fields: ["rollback": .flag(state.lastGoodSpec != nil)])
            // New instances that never served are evidence; serving ones are replaced create-before-destroy.
            for record in live where record.specHash == desiredHash && record.state != .serving {
                try await fail(record, reason: "rollout failed: \(reason)", in: &world, now: now)
            }
            return state.lastGoodSpec == nil ? .failed(reason: reason) : .rollingBack(reason: reason)
        }
        if let gate = Self.gate(of: state, target: target, now: now) { return .paused(gate) }
        return .progressing
    }

    /// The most recent failure reason among this spec's instances.
    func lastFailure(of service: String, hash: SpecHash, world: ObservedWorld) -> String? {
        world.records(of: service)
            .filter { $0.specHash == hash && ($0.state == .quarantined || $0.state == .failed) }
            .max { $0.updatedAt < $1.updatedAt }?.reason
    }

    /// Drains every instance of a service that is no longer in Git.
    func remove(service: String, world: inout ObservedWorld, now: Date) async throws -> ServiceConvergence {
        try await retire(
            world.records(of: service).filter { $0.state.isLive && $0.state != .draining }.map(\.id), in: &world,
            now: now)
        let drain = world.rolloutVersions[service]?.record.lastGoodSpec?.drain ?? DrainPolicy()
        _ = try await finishDraining(world.records(of: service), drain: drain, in: &world, now: now)
        let left = world.records(of: service).contains { $0.state.isLive }
        return summary(of: service, target: nil, world: world, phase: left ? .removing : .removed)
    }

    func summary(of service: String, target: ServiceSpec?, world: ObservedWorld, phase: ServiceConvergence.Phase)
        -> ServiceConvergence
    {
        let records = world.records(of: service).filter { $0.state.isLive }
        let hash = target.map(SpecHash.init)
        var summary = ServiceConvergence(service: service, phase: phase, replicas: target?.replicas ?? 0)
        summary.targetSpecHash = hash
        summary.toImage = target?.image.description
        for record in records {
            if record.state == .draining {
                summary.draining += 1
            } else if record.specHash == hash {
                if record.state == .serving { summary.ready += 1 } else { summary.starting += 1 }
            } else {
                summary.old += 1
                summary.fromImage = summary.fromImage ?? record.image
            }
        }
        return summary
    }
}
