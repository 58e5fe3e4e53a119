import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import Logging

extension Converger {
    /// Probes the target's instances that are due, promotes those healthy for `minReady` to
    /// `promotion` (serving, or ready for a strategy that publishes them itself), and fails those that
    /// did not become healthy in time or stopped being healthy. Returns whether an instance was promoted.
    func advanceHealth(
        of target: ServiceSpec, hash: SpecHash, promotion: InstanceState = .serving, world: inout ObservedWorld,
        now: Date
    ) async throws -> Bool {
        let candidates = world.records(of: target.name).filter {
            $0.specHash == hash && [.starting, .ready, .serving].contains($0.state)
                && world.inventory[$0.id]?.status.isRunning == true
        }
        let probedAt = clock.now
        let interval = target.health?.interval ?? .seconds(1)
        let due = candidates.filter { record in
            guard let last = health[record.id]?.lastProbe else { return true }
            return probedAt >= last.advanced(by: interval)
        }
        let results = await probe(due.compactMap { world.inventory[$0.id] }, check: target.health)
        for (id, result) in results {
            health[id, default: HealthStreak()].record(result, at: probedAt)
        }

        var promoted = false
        let check = target.health
        for record in candidates {
            guard var streak = health[record.id] else { continue }
            if let last = streak.lastProbe { pacing.due(at: last.advanced(by: interval)) }
            switch record.state {
            case .ready where promotion == .ready || streak.failures > 0:
                // Healthy once already: it can only stop being healthy, never time out starting.
                if streak.failures >= (check?.unhealthyThreshold ?? 3) {
                    let reason = "unhealthy: \(streak.lastDetail)" + (await logTail(record.id))
                    try await fail(record, reason: reason, in: &world, now: now)
                }
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
                        try await put(serving, in: &world)
                        CrashPoint.pass("instance recorded serving")
                        promoted = true
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
            case .serving:
                if streak.failures >= (check?.unhealthyThreshold ?? 3) {
                    let reason = "unhealthy: \(streak.lastDetail)" + (await logTail(record.id))
                    try await fail(record, reason: reason, in: &world, now: now)
                }
            default:
                break
            }
        }
        return promoted
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
