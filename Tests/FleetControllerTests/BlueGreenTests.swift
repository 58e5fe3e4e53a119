import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// Rollout logic on simulated parts (see ConvergenceFixture.simulated()).
@Suite("blueGreen on simulated parts", .tags(.fast))
struct BlueGreenTests {
    @Test(
        "the whole new set runs unpublished, switches in one step, and going back within scaleDownDelay reuses the kept set"
    )
    func switchAndSwitchBack() async throws {
        let fixture = try ConvergenceFixture.simulated()
        do {
            let discovery = DiscoveryPublisher(configuration: .init())
            let converger = fixture.converger(discovery: discovery)
            var v1 = fixture.webService(image: try await fixture.image("1.0.0"))
            v1.rollout.strategy = .blueGreen
            v1.rollout.scaleDownDelay = .seconds(60)
            _ = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            let blue = Set(try await fixture.records().map(\.id))
            #expect(blue.count == 3)

            var v2 = fixture.webService(image: try await fixture.image("2.0.0"), minReady: .seconds(1))
            v2.rollout = v1.rollout
            let green = Fleet(name: "test", services: [v2])
            // Before the switch: the whole green set starts, no green instance is published.
            var sawGreenWaiting = false
            var switched = false
            for _ in 0..<300 where !switched {
                _ = try await converger.reconcile(green)
                let records = try await fixture.records()
                let published = Set((await discovery.view.set.services["web"] ?? []).map(\.instance))
                let greenRecords = records.filter { $0.specHash == SpecHash(v2) }
                if greenRecords.count == 3 && published == blue { sawGreenWaiting = true }
                // The published set is always all blue or all green.
                #expect(published == blue || published == Set(greenRecords.map(\.id)), "\(published)")
                switched = published == Set(greenRecords.map(\.id)) && greenRecords.count == 3
                try await fixture.pause(.milliseconds(50))
            }
            #expect(sawGreenWaiting, "the whole green set never ran unpublished before the switch")
            #expect(switched, "the switch never came")
            let afterSwitch = try await fixture.records()
            #expect(afterSwitch.filter { blue.contains($0.id) }.allSatisfy { $0.state == .ready })

            // Back to blue while it is kept: one switch, nothing created.
            let created = try await fixture.records().count
            let back = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(5))
            #expect(back.first?.phase != .converged, "the green set is kept for scaleDownDelay, so not yet converged")
            let records = try await fixture.records()
            #expect(records.count == created, "switching back created instances")
            let published = Set((await discovery.view.set.services["web"] ?? []).map(\.instance))
            #expect(published == blue)
            #expect(records.filter { !blue.contains($0.id) }.allSatisfy { $0.state == .ready })
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}
