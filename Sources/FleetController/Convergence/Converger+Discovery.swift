import FleetModel
import FleetPlanner
import FleetRegistry
import Foundation

extension Converger {
    /// Publishes the serving set of `world` and answers whether it is confirmed: by the local outputs' reload and
    /// by every required discovery agent. A confirmation starts the drain clock of every draining instance (none
    /// of them is in the set); a failure paces the next pass to the retry and is remembered for the rollout's
    /// status.
    @discardableResult
    func publishServingSet(_ world: ObservedWorld) async -> Bool {
        guard let discovery else { return true }
        // What the set is made of, unchanged since it was last confirmed: confirmed still, without building the
        // set of every instance again (twice a pass). Only without agents, whose confirmation can change alone.
        let inputs = PublishedInputs(
            records: world.records, splits: trafficSplits, services: world.desiredServices, withheld: unready)
        if agents == nil, inputs == lastConfirmedInputs { return true }
        let set = ServingSet(
            records: Array(world.records.values), splits: trafficSplits, services: world.desiredServices,
            withheld: unready)
        switch await discovery.publish(set) {
        case .confirmed:
            // The load balancers the agents drive must show the set too. Held exactly like a failing reload (the
            // progress deadline counts it as waiting), and re-checked soon: a report that lets it go also asks
            // the reconcile loop for a pass at once, this is only the backstop.
            if let agents, case let waiting = await agents.hold(await discovery.view.etag), !waiting.isEmpty {
                pacing.due(at: clock.now.advanced(by: .seconds(1)))
                discoveryProblem = agents.problem(waiting: waiting)
                return false
            }
            let now = clock.wallTime
            for record in world.records.values where record.state == .draining && drainClock[record.id] == nil {
                drainClock[record.id] = now
            }
            discoveryProblem = nil
            lastConfirmedInputs = inputs
            return true
        case .waiting(let reason, let retryAt):
            pacing.due(at: retryAt)
            discoveryProblem = reason
            lastConfirmedInputs = nil
            return false
        }
    }

    /// The traffic split of every canary in flight, from its rollout state's step and its spec's steps,
    /// so the weights are the same for any controller reading the same registry and commit.
    func canarySplits(_ fleet: Fleet, world: ObservedWorld) -> [String: ServingSet.TrafficSplit] {
        var splits: [String: ServingSet.TrafficSplit] = [:]
        for service in fleet.services where service.rollout.strategy == .canary {
            let hash = SpecHash(service)
            guard let state = world.rolloutVersions[service.name]?.record, state.targetSpecHash == hash,
                !state.isRolledBackFrom(hash)
            else { continue }
            let steps = Canary.steps(service.rollout.steps)
            splits[service.name] = ServingSet.TrafficSplit(
                target: hash, percent: steps[min(state.step, steps.count - 1)].weight)
        }
        return splits
    }
}

/// What a serving set is built from (see ``Converger/publishServingSet(_:)``).
struct PublishedInputs: Equatable {
    var records: [String: InstanceRecord]
    var splits: [String: ServingSet.TrafficSplit]
    var services: Set<String>
    var withheld: Set<String>
}
