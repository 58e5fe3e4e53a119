import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import Logging

extension Converger {
    /// Probes the target's instances that are due, promotes those ready for `minReady` to `promotion` (serving,
    /// or ready for a strategy that publishes them itself), fails those that did not become ready in time or
    /// failed their liveness check, and keeps ``unready`` up to date for the serving set. Returns whether an
    /// instance was promoted.
    ///
    /// The readiness check (``ServiceSpec/readinessCheck``) gates promotion; the liveness check
    /// (``ServiceSpec/livenessCheck``) is probed once an instance is ready. When both are the same check (a spec
    /// with `health` alone) one streak serves both, so a failure replaces the instance, as it always has.
    func advanceHealth(
        of target: ServiceSpec, hash: SpecHash, promotion: InstanceState = .serving, world: inout ObservedWorld,
        now: Date
    ) async throws -> Bool {
        let candidates = world.records(of: target.name).filter {
            $0.specHash == hash && [.starting, .ready, .serving].contains($0.state)
                && world.inventory[$0.id]?.status.isRunning == true
        }
        let probedAt = clock.now
        let check = target.readinessCheck
        let due = candidates.filter { record in
            // Serving instances the observer watches are its to probe: the pass has nothing to decide on them that
            // the observer would not ask a pass for, so it does not wait on the network for them.
            if record.state == .serving && observed && watched[record.id] != nil { return false }
            guard let streak = health[record.id], let last = streak.lastProbe else { return true }
            return probedAt >= last.advanced(by: probeInterval(record, streak, check))
        }
        let results = await probe(due.compactMap { world.inventory[$0.id] }, check: check)
        for (id, result) in results {
            health[id, default: HealthStreak()].record(result, at: probedAt)
        }
        let livenessCheck = target.separateLivenessCheck
        if let livenessCheck {
            let live = candidates.filter { record in
                guard [.ready, .serving].contains(record.state) else { return false }
                if record.state == .serving && observed && watched[record.id] != nil { return false }
                guard let last = liveness[record.id]?.lastProbe else { return true }
                return probedAt >= last.advanced(by: livenessCheck.interval)
            }
            for (id, result) in await probe(live.compactMap { world.inventory[$0.id] }, check: livenessCheck) {
                liveness[id, default: HealthStreak()].record(result, at: probedAt)
            }
        }

        // Promotions of one pass are one step, journaled together after the loop.
        var promoted: [InstanceRecord] = []
        for record in candidates {
            guard var streak = health[record.id] else { continue }
            if let last = streak.lastProbe, record.state != .serving || !observed {
                pacing.due(at: last.advanced(by: probeInterval(record, streak, check)))
            }
            if let livenessCheck, let last = liveness[record.id]?.lastProbe, record.state != .serving || !observed {
                pacing.due(at: last.advanced(by: livenessCheck.interval))
            }
            if [.ready, .serving].contains(record.state), let detail = livenessFailure(record.id, target) {
                let reason = "unhealthy: \(detail)" + (await logTail(record.id))
                try await fail(record, reason: reason, in: &world, now: now)
                continue
            }
            if [.ready, .serving].contains(record.state), livenessCheck != nil || target.livenessCheck == nil {
                updateReadiness(record.id, streak, check: check)
            }
            switch record.state {
            case .ready where promotion == .ready || streak.failures > 0:
                // Ready once already: it can only stop being ready (above), never time out starting.
                break
            case .starting, .ready:
                if streak.successes >= (check?.healthyThreshold ?? 1) {
                    let since = streak.healthySince ?? now
                    streak.healthySince = since
                    health[record.id] = streak
                    let minReady = TimeInterval(target.rollout.minReady.milliseconds) / 1000
                    if now.timeIntervalSince(since) < minReady {
                        pacing.due(at: since.addingTimeInterval(minReady))
                    } else {
                        var serving = record
                        serving.state = promotion
                        serving.reason = nil
                        serving.updatedAt = now
                        promoted.append(serving)
                    }
                } else {
                    streak.healthySince = nil
                    health[record.id] = streak
                    let startTimeout = TimeInterval((check?.startTimeout ?? .seconds(60)).milliseconds) / 1000
                    pacing.due(at: record.createdAt.addingTimeInterval(startTimeout))
                    if now.timeIntervalSince(record.createdAt) > startTimeout {
                        let reason =
                            "not healthy within startTimeout \((check?.startTimeout ?? .seconds(60)).manifestDescription)"
                            + (streak.lastDetail.isEmpty ? "" : ": \(streak.lastDetail)") + (await logTail(record.id))
                        try await fail(record, reason: reason, in: &world, now: now)
                    }
                }
            default:
                break
            }
        }
        try await journal(promoted, in: &world)
        if !promoted.isEmpty { CrashPoint.pass("instances recorded serving") }
        return !promoted.isEmpty
    }

    /// How long after its last probe `record` is probed again: the check's startup interval while it is starting
    /// and has never passed (the startup phase, docs/manifest.md), else its interval.
    func probeInterval(_ record: InstanceRecord, _ streak: HealthStreak, _ check: HealthCheck?) -> Duration {
        guard let check else { return .seconds(1) }
        return record.state == .starting && !streak.everPassed ? check.effectiveStartupInterval : check.interval
    }

    /// Why `id` has failed its liveness check, or nil while it has not: its own streak when the spec has a
    /// separate liveness check, else the readiness streak (the same check). No check: only an exit fails it.
    func livenessFailure(_ id: String, _ spec: ServiceSpec) -> String? {
        guard let check = spec.livenessCheck else { return nil }
        let streak = spec.separateLivenessCheck == nil ? health[id] : liveness[id]
        guard let streak, streak.failures >= check.unhealthyThreshold else { return nil }
        return streak.lastDetail
    }

    /// Moves `id` into ``unready`` after `unhealthyThreshold` failed readiness probes in a row, and out again after
    /// `healthyThreshold` passes; called only when readiness failing is not also liveness failing.
    func updateReadiness(_ id: String, _ streak: HealthStreak, check: HealthCheck?) {
        if streak.failures >= (check?.unhealthyThreshold ?? 3) {
            unready.insert(id)
        } else if streak.successes >= (check?.healthyThreshold ?? 1) {
            unready.remove(id)
        }
    }

    /// Drops what the probes said about `id`, which has left service.
    func forgetHealth(of id: String) {
        health[id] = nil
        liveness[id] = nil
        unready.remove(id)
    }

    /// Probes instances concurrently. Without a health check an instance is healthy while it runs.
    func probe(_ instances: [RuntimeInstance], check: HealthCheck?) async -> [(String, ProbeResult)] {
        guard let check else {
            return instances.map { ($0.instanceID, ProbeResult(success: $0.status.isRunning, detail: "running")) }
        }
        let prober = Prober(runtime: runtime)
        let logger = self.logger
        return await withTaskGroup(of: (String, ProbeResult).self) { group in
            for instance in instances {
                group.addTask {
                    let result = await prober.probe(check.probe, instance: instance, timeout: check.timeout)
                    logger.trace(
                        "probe of \(instance.instanceID): \(result.success ? "healthy" : "unhealthy"): \(result.detail)",
                        metadata: ["service": "\(instance.service)", "instance": "\(instance.instanceID)"])
                    return (instance.instanceID, result)
                }
            }
            var results: [(String, ProbeResult)] = []
            for await result in group { results.append(result) }
            return results
        }
    }
}
