import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation

/// An instance the last pass left serving (or ready), with the checks of its spec, for the
/// ``InstanceObserver`` to probe between passes.
struct WatchedInstance: Sendable {
    var instance: RuntimeInstance
    /// The readiness check (``ServiceSpec/readinessCheck``); nil when the service has none.
    var check: HealthCheck?
    /// The liveness check when it is another check (``ServiceSpec/separateLivenessCheck``).
    var liveness: HealthCheck? = nil
    /// Whether failing `check` replaces the instance (it is also the liveness check) rather than only taking it
    /// out of discovery.
    var checkIsLiveness = true
}

extension Converger {
    /// Remembers, at the end of a pass, what the observer watches until the next one: the serving and ready
    /// instances of each service's target spec (the desired one, or the last good one after a rollback),
    /// probed with that spec's check, and every live instance, whose exit asks for a pass. Instances of other
    /// specs are leaving anyway; probing them with the new spec's check would fail them wrongly.
    func watch(_ fleet: Fleet, world: ObservedWorld) {
        var probed: [String: WatchedInstance] = [:]
        for service in fleet.services {
            var specs = [SpecHash(service): service]
            if let good = world.rolloutVersions[service.name]?.record.lastGoodSpec { specs[SpecHash(good)] = good }
            for record in world.records(of: service.name) where record.state == .serving || record.state == .ready {
                guard let spec = specs[record.specHash], let instance = world.inventory[record.id],
                    instance.status.isRunning
                else { continue }
                probed[record.id] = WatchedInstance(
                    instance: instance, check: spec.readinessCheck, liveness: spec.separateLivenessCheck,
                    checkIsLiveness: spec.separateLivenessCheck == nil && spec.livenessCheck != nil)
            }
        }
        watched = probed
        watchedLive = Set(world.records.values.filter { [.starting, .ready, .serving].contains($0.state) }.map(\.id))
    }

    /// What the last pass learnt for pacing the next one: whether it changed a record, and when something it
    /// waits for falls due (see ``PassPacing``).
    var lastPassPacing: (changed: Bool, nextDue: ContinuousClock.Instant?) {
        (pacing.changed, pacing.nextDue)
    }

    /// Notes that an ``InstanceObserver`` now probes what the passes leave watched.
    func observerStarted() {
        observed = true
    }

    /// Forgets what to watch, until the next pass: a controller that stops leading no longer probes or
    /// follows the instances the new leader looks after.
    public func stopWatching() {
        watched = [:]
        watchedLive = []
        // A standby mirrors the registry into discovery's view: a new term publishes afresh.
        lastConfirmedInputs = nil
    }

    /// Whether the last pass left `instanceID` starting, ready or serving: its exit is news.
    func isWatchedLive(_ instanceID: String) -> Bool {
        watchedLive.contains(instanceID)
    }

    /// Probes the watched instances whose interval has passed since their last probe (by a pass or by the
    /// observer: they share one streak per instance and check), and folds in the results. Returns the instances
    /// that have now failed their liveness check's `unhealthyThreshold` probes in a row, which the next pass takes
    /// out of service; those whose readiness changed, which the next pass takes out of discovery or puts back;
    /// and when the next probe falls due.
    func probeWatched() async -> (
        unhealthy: [String], readinessChanged: [String], nextDue: ContinuousClock.Instant?
    ) {
        var unhealthy: [String] = []
        var readinessChanged: [String] = []
        for (id, check) in await probeDue(liveness: false) {
            guard let streak = health[id], let watchedInstance = watched[id] else { continue }
            let failing = streak.failures >= check.unhealthyThreshold
            if watchedInstance.checkIsLiveness {
                if failing { unhealthy.append(id) }
            } else if failing != unready.contains(id) && (failing || streak.successes >= check.healthyThreshold) {
                // The pass updates ``unready``; until then this is asked again, and the asks coalesce.
                readinessChanged.append(id)
            }
        }
        for (id, check) in await probeDue(liveness: true) {
            if let failures = liveness[id]?.failures, failures >= check.unhealthyThreshold { unhealthy.append(id) }
        }
        let now = clock.now
        var next: ContinuousClock.Instant? = nil
        for (id, watchedInstance) in watched {
            if let check = watchedInstance.check {
                let due = (health[id]?.lastProbe ?? now).advanced(by: check.interval)
                next = min(next ?? due, due)
            }
            if let check = watchedInstance.liveness {
                let due = (liveness[id]?.lastProbe ?? now).advanced(by: check.interval)
                next = min(next ?? due, due)
            }
        }
        return (unhealthy.sorted(), readinessChanged.sorted(), next)
    }

    /// Probes the watched instances whose readiness check (or, with `liveness`, separate liveness check) is due
    /// since its last probe, records the results in that check's streaks, and returns the probed instances with
    /// the check.
    private func probeDue(liveness forLiveness: Bool) async -> [(String, HealthCheck)] {
        let now = clock.now
        func streak(_ id: String) -> HealthStreak? { forLiveness ? liveness[id] : health[id] }
        var due: [HealthCheck: [RuntimeInstance]] = [:]
        for (id, watchedInstance) in watched {
            guard let check = forLiveness ? watchedInstance.liveness : watchedInstance.check else { continue }
            if let last = streak(id)?.lastProbe, now < last.advanced(by: check.interval) { continue }
            due[check, default: []].append(watchedInstance.instance)
        }
        var probed: [(String, HealthCheck)] = []
        // One concurrent round per check (per service), so a slow probe delays only its own service. Every probe
        // of the round counts as made when the round began: the instances fall due together again one interval
        // later, so a settled fleet wakes the observer once per interval, not once per service and round.
        await withTaskGroup(of: (HealthCheck, [(String, ProbeResult)]).self) { group in
            for (check, instances) in due {
                group.addTask { (check, await self.probe(instances, check: check)) }
            }
            for await (check, results) in group {
                for (id, result) in results {
                    // A pass may have retired or failed it meanwhile; its streak is then gone and stays gone.
                    guard watched[id] != nil else { continue }
                    if forLiveness {
                        liveness[id, default: HealthStreak()].record(result, at: now)
                    } else {
                        health[id, default: HealthStreak()].record(result, at: now)
                    }
                    probed.append((id, check))
                }
            }
        }
        return probed
    }
}
