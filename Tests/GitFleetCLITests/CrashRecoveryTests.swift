import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// Kills a real controller with SIGKILL at every numbered crash point of a rollout (the gaps between
/// journaled steps: after a record is written and before the runtime acts, after the runtime acted
/// and before the record says so, …) and restarts it, checking after each kill and each recovery
/// that nothing leaked, nothing was duplicated and the surge bound held.
@Suite("Crash safety of apply", .serialized)
struct CrashRecoveryTests {
    static let replicas = 3
    static let maxSurge = 1

    @Test("Killed at 24 different points of a rollout, a restarted apply converges with nothing leaked or duplicated")
    func killAndRecover() async throws {
        let fleet = try EmbeddedFleet()
        do {
            try await killAndRecover(fleet)
        } catch {
            await fleet.tearDown()
            throw error
        }
        await fleet.tearDown()
    }

    private func killAndRecover(_ fleet: EmbeddedFleet) async throws {
        let v1 = try fleet.commitWeb("demo/web:1.0.0")
        let v2 = try fleet.commitWeb("demo/web:1.1.0")
        let converged = try await fleet.apply(["--rev", v1])
        try #require(converged.status == 0, "\(converged)")

        var killed: [Int] = []
        // Each round rolls out the other version, so every round is a full replacement of 3 instances.
        for point in 1...24 {
            let target = point.isMultiple(of: 2) ? v1 : v2
            let crashed = try await fleet.apply(["--rev", target], environment: ["GITFLEET_CRASH_AT": "\(point)"])
            if crashed.signaled && crashed.status == SIGKILL {
                killed.append(point)
            } else {
                #expect(crashed.status == 0, "point \(point): neither killed nor converged: \(crashed)")
            }
            try await checkInvariants(fleet, after: "the kill at point \(point)")

            let recovered = try await fleet.apply(["--rev", target])
            #expect(recovered.status == 0, "point \(point): recovery did not converge: \(recovered)")
            try await checkInvariants(fleet, after: "recovery from point \(point)")
            let records = try await fleet.records().filter { $0.state.isLive }
            #expect(records.count == Self.replicas, "point \(point): \(records.count) live records after recovery")
            #expect(
                records.allSatisfy { $0.state == .serving && $0.revision == target },
                "point \(point): not every instance serves the target after recovery: \(records)")
        }
        #expect(killed.count >= 20, "only \(killed.count) crash points were reached: \(killed)")
    }

    /// Every process the runtime runs has a record (nothing leaked); no more than replicas + maxSurge
    /// run; no record claims to serve without a running process.
    private func checkInvariants(_ fleet: EmbeddedFleet, after moment: String) async throws {
        let records = try await fleet.records()
        let byID = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) })
        let running = try await fleet.inventory().filter { $0.status.isRunning }
        for instance in running {
            #expect(byID[instance.instanceID] != nil, "after \(moment): \(instance.instanceID) runs with no record")
        }
        #expect(
            running.count <= Self.replicas + Self.maxSurge,
            "after \(moment): \(running.count) processes run, more than replicas + maxSurge")
        let runningIDs = Set(running.map(\.instanceID))
        for record in records where record.state == .serving {
            #expect(runningIDs.contains(record.id), "after \(moment): \(record.id) is recorded serving but not running")
        }
    }
}
