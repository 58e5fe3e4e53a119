import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// `gitfleet serve` SIGKILLed at random moments of rolling updates, over and over. Where ``CrashRecoveryTests``
/// stops `apply` at each numbered point of one rollout, this kills a whole controller (its watcher, status writer,
/// health tracking and HTTP server with it) wherever the seeded delay falls, restarts it, and often pushes a new
/// version before the restart, so a rollout is also cut off by the next one.
@Suite("Chaos: gitfleet serve killed at random moments of rollouts", .serialized)
struct ServeKillChaosTests {
    @Test("SIGKILLed at random moments of rolling updates, serve never breaks the invariants and converges")
    func killServeAtRandom() async throws {
        var chaos = ChaosSchedule(defaultStrikes: 6)
        try await ChaosStage.run("serve kills", chaos: chaos) { stage in
            let versions = ["demo/web:slow", "demo/web:1.1.0", "demo/web:1.0.0"]
            var target = ""
            var midRollout = 0
            for strike in 1...chaos.strikes {
                if strike == 1 || chaos.chance(0.6) {
                    target = try stage.push(versions[(strike - 1) % versions.count])
                }
                if strike > 1 { stage.serve = try ServeProcess(fleet: stage.fleet, remote: stage.remote) }
                // The first kill surely falls before the slow version's 3 instances serve (4.5 s at least).
                try await Task.sleep(for: chaos.delay(strike == 1 ? 300...2000 : 300...5000))
                stage.serve.killAbruptly()
                let live = try await stage.fleet.records().filter { $0.state.isLive }
                if !live.allSatisfy({ stage.serves($0, target) }) { midRollout += 1 }
                try await stage.invariants.check(stage.fleet, after: "kill \(strike) (\(chaos.replay))")
            }
            stage.serve = try ServeProcess(fleet: stage.fleet, remote: stage.remote)
            try await stage.waitUntilConverged(on: target)
            try await stage.invariants.check(stage.fleet, after: "the recovery (\(chaos.replay))")
            print("serve kills: \(chaos.strikes) kills, \(midRollout) of them mid-rollout")
            #expect(midRollout > 0, "no kill fell inside a rollout (\(chaos.replay))")
        }
    }
}
