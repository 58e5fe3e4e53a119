import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation

/// An instance the last pass left serving (or ready), with the health check of its spec, for the
/// ``InstanceObserver`` to probe between passes.
struct WatchedInstance: Sendable {
    var instance: RuntimeInstance
    /// nil when the service has no health check: then only its exit is watched.
    var check: HealthCheck?
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
                probed[record.id] = WatchedInstance(instance: instance, check: spec.health)
            }
        }
        watched = probed
        watchedLive = Set(world.records.values.filter { [.starting, .ready, .serving].contains($0.state) }.map(\.id))
    }

    /// Forgets what to watch, until the next pass: a controller that stops leading no longer probes or
    /// follows the instances the new leader looks after.
    public func stopWatching() {
        watched = [:]
        watchedLive = []
    }

    /// Whether the last pass left `instanceID` starting, ready or serving: its exit is news.
    func isWatchedLive(_ instanceID: String) -> Bool {
        watchedLive.contains(instanceID)
    }

    /// Probes the watched instances whose interval has passed since their last probe (by a pass or by the
    /// observer: they share one streak per instance), and folds in the results. Returns the instances that
    /// have now failed their check's `unhealthyThreshold` probes in a row, which the next pass takes out of
    /// service, and when the next probe falls due.
    func probeWatched() async -> (unhealthy: [String], nextDue: ContinuousClock.Instant?) {
        let now = clock.now
        var due: [HealthCheck: [RuntimeInstance]] = [:]
        for (id, watchedInstance) in watched {
            guard let check = watchedInstance.check else { continue }
            if let last = health[id]?.lastProbe, now < last.advanced(by: check.interval) { continue }
            due[check, default: []].append(watchedInstance.instance)
        }
        var unhealthy: [String] = []
        // One concurrent round per check (per service), so a slow probe delays only its own service.
        for (check, instances) in due {
            for (id, result) in await probe(instances, check: check) {
                // A pass may have retired or failed it meanwhile; its streak is then gone and stays gone.
                guard watched[id] != nil else { continue }
                health[id, default: HealthStreak()].record(result, at: clock.now)
                if let failures = health[id]?.failures, failures >= check.unhealthyThreshold { unhealthy.append(id) }
            }
        }
        let next = watched.compactMap { id, watchedInstance -> ContinuousClock.Instant? in
            guard let check = watchedInstance.check else { return nil }
            return (health[id]?.lastProbe ?? now).advanced(by: check.interval)
        }.min()
        return (unhealthy.sorted(), next)
    }
}
