import FleetModel
import Foundation
import GitFleetTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Instance processes SIGKILLed at random (seeded) while rolling updates run under a real `gitfleet serve`: the
/// controller must replace each, hold the bounds and finish every rollout. A killed instance is a loss the
/// controller did not cause, so the serving bound allows for it until a replacement serves (see
/// ``InvariantSampler``); the victims are instances recorded serving, of the old version or the new.
@Suite("Chaos: instances killed at random during rollouts", .serialized)
struct InstanceKillChaosTests {
    static let killsPerRollout = 2

    @Test("Instances SIGKILLed during rolling updates are replaced, the bounds hold and every rollout completes")
    func killInstancesAtRandom() async throws {
        var chaos = ChaosSchedule(defaultStrikes: 4)
        try await ChaosStage.run("instance kills", chaos: chaos) { stage in
            let versions = ["demo/web:slow", "demo/web:1.1.0"]
            var killed: Set<String> = []
            var rollouts = 0
            while killed.count < chaos.strikes {
                rollouts += 1
                let target = try stage.push(versions[rollouts % versions.count])
                for _ in 0..<Self.killsPerRollout where killed.count < chaos.strikes {
                    try await Task.sleep(for: chaos.delay(300...2500))
                    let serving = Set(try await stage.fleet.records().filter { $0.state == .serving }.map(\.id))
                    let victims = EmbeddedFleet.runningInstances(scope: stage.fleet.scope)
                        .filter { serving.contains($0.id) }.sorted { $0.id < $1.id }
                    guard let victim = chaos.pick(victims) else { continue }
                    await stage.sampler.killing([victim.id])
                    kill(victim.pid, SIGKILL)
                    killed.insert(victim.id)
                }
                // A kill just after the rollout converged leaves a `serving` record the controller has yet to see die.
                try await stage.fleet.waitUntil("the killed instances are out of service", log: stage.serve) {
                    records in records.allSatisfy { !killed.contains($0.id) || !$0.state.isLive }
                }
                try await stage.waitUntilConverged(on: target)
            }
            print("instance kills: \(killed.count) kills over \(rollouts) rollouts")
            let failed = try await stage.fleet.records().filter { $0.state == .quarantined || $0.state == .failed }
            #expect(
                failed.count <= killed.count, "more failed instances than kills (\(chaos.replay)): \(failed.map(\.id))")
        }
    }
}
