import FleetModel
import Testing

@testable import FleetPlanner

/// Drives RollingUpdate through a whole rollout in a small simulation: each round applies the
/// decision, new instances become serving one round after they start, and retired instances take
/// one round to drain. The invariants are checked after every round.
struct RollingUpdateSimulation {
    var current: [RolloutSnapshot.Instance] = []
    var old: [RolloutSnapshot.Instance]
    var clock = 0.0
    var nextID = 0
    let replicas: Int
    let maxSurge: Int
    let maxUnavailable: Int

    init(oldServing: Int, replicas: Int, maxSurge: Int, maxUnavailable: Int) {
        self.replicas = replicas
        self.maxSurge = maxSurge
        self.maxUnavailable = maxUnavailable
        old = (0..<oldServing).map { .init(id: "old-\($0)", state: .serving, createdAt: Double($0)) }
        clock = Double(oldServing)
    }

    var snapshot: RolloutSnapshot {
        RolloutSnapshot(
            current: current, old: old, replicas: replicas, maxSurge: maxSurge, maxUnavailable: maxUnavailable)
    }

    /// One round; returns false once the rollout has nothing left to do.
    mutating func round() -> Bool {
        // What was draining is gone; what was starting is now serving.
        current.removeAll { $0.state == .draining }
        old.removeAll { $0.state == .draining }
        for index in current.indices where current[index].state == .starting { current[index].state = .serving }

        let decision = RollingUpdate.decide(snapshot)
        if decision.isEmpty { return false }
        for index in current.indices where decision.retire.contains(current[index].id) {
            current[index].state = .draining
        }
        for index in old.indices where decision.retire.contains(old[index].id) { old[index].state = .draining }
        for _ in 0..<decision.create {
            clock += 1
            nextID += 1
            current.append(.init(id: "new-\(nextID)", state: .starting, createdAt: clock))
        }
        return true
    }
}

@Suite("Rolling update")
struct RollingUpdateTests {
    @Test(
        "A rollout replaces every instance within the surge and availability bounds",
        arguments: [
            (3, 1, 0), (3, 0, 1), (3, 2, 0), (5, 1, 1), (10, 3, 2), (1, 1, 0), (1, 0, 1), (4, 4, 0), (4, 0, 4),
        ])
    func replacesWithinBounds(replicas: Int, maxSurge: Int, maxUnavailable: Int) {
        var simulation = RollingUpdateSimulation(
            oldServing: replicas, replicas: replicas, maxSurge: maxSurge, maxUnavailable: maxUnavailable)
        var rounds = 0
        while simulation.round() {
            rounds += 1
            let snapshot = simulation.snapshot
            #expect(snapshot.total <= replicas + maxSurge, "round \(rounds): \(snapshot.total) instances")
            #expect(snapshot.serving >= replicas - maxUnavailable, "round \(rounds): \(snapshot.serving) serving")
            if rounds > 100 { break }
        }
        #expect(rounds <= 4 * replicas + 4, "the rollout did not finish")
        #expect(simulation.old.isEmpty)
        #expect(simulation.current.count == replicas)
        #expect(simulation.current.allSatisfy { $0.state == .serving })
    }

    @Test("Scaling up starts only the missing instances and retires nothing")
    func scaleUp() {
        let serving = (0..<2).map { RolloutSnapshot.Instance(id: "c\($0)", state: .serving, createdAt: Double($0)) }
        let decision = RollingUpdate.decide(
            RolloutSnapshot(current: serving, old: [], replicas: 5, maxSurge: 1, maxUnavailable: 0))
        #expect(decision == RolloutDecision(create: 3, retire: []))
    }

    @Test("Scaling down retires instances that are not serving first, then the newest")
    func scaleDown() {
        let instances: [RolloutSnapshot.Instance] = [
            .init(id: "a", state: .serving, createdAt: 1), .init(id: "b", state: .serving, createdAt: 3),
            .init(id: "c", state: .starting, createdAt: 2), .init(id: "d", state: .serving, createdAt: 4),
        ]
        let decision = RollingUpdate.decide(
            RolloutSnapshot(current: instances, old: [], replicas: 2, maxSurge: 1, maxUnavailable: 0))
        #expect(decision == RolloutDecision(create: 0, retire: ["c", "d"]))
    }

    @Test("Old instances that never became serving are retired at once")
    func supersededRollout() {
        let old: [RolloutSnapshot.Instance] = [
            .init(id: "v1-a", state: .serving, createdAt: 1), .init(id: "v2-a", state: .starting, createdAt: 2),
        ]
        let decision = RollingUpdate.decide(
            RolloutSnapshot(current: [], old: old, replicas: 1, maxSurge: 1, maxUnavailable: 0))
        #expect(decision.retire == ["v2-a"])
        #expect(decision.create == 0, "the starting v2 instance still holds the surge slot until it has drained")
    }

    @Test("Nothing to do when every instance runs the target spec")
    func converged() {
        let serving = (0..<3).map { RolloutSnapshot.Instance(id: "c\($0)", state: .serving, createdAt: Double($0)) }
        #expect(
            RollingUpdate.decide(
                RolloutSnapshot(current: serving, old: [], replicas: 3, maxSurge: 1, maxUnavailable: 0)
            )
            .isEmpty)
    }
}
