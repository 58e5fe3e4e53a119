import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// The reconcile decision inside a freeze window, carried out by the real converger on simulated parts: what
/// the ``FreezeDecision`` hands it is what the fleet then runs.
@Suite("Freeze windows on the converger: held specs, self-healing inside a window, rollout after it", .tags(.fast))
struct FreezeConvergenceTests {
    @Test("inside a window a new spec waits and a dead instance is replaced at the old one; after it the spec rolls")
    func heldThenRolled() async throws {
        let fixture = try ConvergenceFixture.simulated()
        do {
            let converger = fixture.converger()
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
            let v2 = fixture.webService(image: try await fixture.image("2.0.0"), replicas: 2)
            _ = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))

            let now = fixture.clock.wallTime
            let windows = try FreezeWindow.list(
                "release from=\(FreezeWindow.timestamp(now.addingTimeInterval(-60))) "
                    + "until=\(FreezeWindow.timestamp(now.addingTimeInterval(3600))) services=web"
            ).get()
            let desired = Fleet(name: "test", services: [v2], revision: "c2")
            func decide() async throws -> FreezeDecision {
                FreezeDecision(
                    desired: desired, rollouts: try await fixture.registry.rolloutStates().map(\.record),
                    open: windows.open(at: fixture.clock.wallTime))
            }
            let held = try await decide()
            #expect(held.holds["web"] != nil)
            _ = try await converger.converge(held.fleet, timeout: .seconds(60))
            let before = try await fixture.records()
            #expect(before.filter { $0.state == .serving }.allSatisfy { $0.image == v1.image.description })

            // Self-healing goes on at the held spec.
            let (victim, serving) = try await fixture.killOneAndHeal(converger, replicas: 2) {
                try await decide().fleet
            }
            #expect(serving.count == 2 && !serving.contains { $0.id == victim.id })
            #expect(serving.allSatisfy { $0.image == v1.image.description }, "\(serving.map(\.image))")

            // The window closes: the same desired fleet now rolls out.
            try await fixture.pause(.seconds(3600))
            let after = try await decide()
            #expect(after.holds.isEmpty)
            let report = try await converger.converge(after.fleet, timeout: .seconds(120))
            #expect(report.map(\.phase) == [.converged])
            let final = try await fixture.records().filter { $0.state == .serving }
            #expect(final.count == 2 && final.allSatisfy { $0.image == v2.image.description })
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}
