import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

@Suite("Rolling replacement on every runtime", .serialized)
struct RollingReplacementTests {
    @Test(
        "v1 → v2 replaces every instance with three serving at every moment; a v3 that never gets healthy rolls back",
        arguments: RuntimeKind.allCases)
    func rollingReplacementAndFailure(_ kind: RuntimeKind) async throws {
        let fixture = try await ConvergenceFixture.on(kind)
        do {
            let converger = fixture.converger()
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"))
            let first = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            #expect(first.map(\.phase) == [.converged])
            let v1Records = try await fixture.records()
            #expect(v1Records.count == 3 && v1Records.allSatisfy { $0.state == .serving })

            let probe = ServingProbe()
            let polling = Task { await probe.run(registry: fixture.registry, service: "web") }
            // minReady stretches the rollout so the probe watches it closely even on a loaded machine.
            let v2 = fixture.webService(image: try await fixture.image("2.0.0"), minReady: .seconds(1))
            let second = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(90))
            await probe.stop()
            await polling.value

            #expect(second.map(\.phase) == [.converged])
            #expect(second.first?.created == 6 && second.first?.destroyed == 3)
            let v2Records = try await fixture.records()
            #expect(v2Records.count == 3)
            #expect(v2Records.allSatisfy { $0.state == .serving && $0.specHash == SpecHash(v2) })
            #expect(await probe.rounds >= 3, "the probe barely ran during the rollout")
            #expect(await probe.fewestAnswering >= 3, "fewer than 3 instances answered during the rollout")
            let mismatches = await probe.mismatches
            #expect(mismatches.isEmpty, "\(mismatches)")
            let inventory = try await fixture.runtime.inventory()
            #expect(Set(inventory.map(\.instanceID)) == Set(v2Records.map(\.id)), "an old process was left behind")

            // v3 never becomes healthy: it must fail within its progress deadline and leave v2 serving.
            var v3 = fixture.webService(
                image: try await fixture.image("3.0.0", env: ["DEMO_FAIL_HEALTH": "1"]), progressDeadline: .seconds(4),
                startTimeout: .seconds(2))
            v3.rollout.progressDeadline = .seconds(4)
            let third = try await converger.converge(Fleet(name: "test", services: [v3]), timeout: .seconds(60))
            let phase = try #require(third.first?.phase)
            guard case .rolledBack(let reason) = phase else {
                Issue.record("expected a rollback, got \(phase)")
                return await fixture.tearDown()
            }
            #expect(reason.contains("progressDeadline"), "\(reason)")
            #expect(
                reason.contains("500") || reason.contains("not healthy"), "the reason should name the probe: \(reason)")

            let after = try await fixture.records()
            let serving = after.filter { $0.state == .serving }
            #expect(serving.count == 3 && serving.allSatisfy { $0.specHash == SpecHash(v2) })
            let quarantined = after.filter { $0.state == .quarantined }
            #expect(!quarantined.isEmpty && quarantined.allSatisfy { $0.specHash == SpecHash(v3) })
            // Instances that ran until their start timeout kept their logs as evidence. Not every one need
            // have printed: one created just before the deadline, or one the loaded machine started late, may
            // be quarantined before its first line; so at least one must show it, and none may have lost it.
            let timedOut = quarantined.filter { ($0.reason ?? "").contains("not healthy within startTimeout") }
            #expect(!timedOut.isEmpty, "\(quarantined.map(\.reason))")
            var kept: [String] = []
            for record in timedOut {
                let logs = try await fixture.runtime.logs(instanceID: record.id, tail: 20)
                if logs.contains("listening") { kept.append(record.id) }
            }
            #expect(!kept.isEmpty, "no quarantined instance of \(timedOut.map(\.id)) kept its logs")

            // The failed spec is not retried: another pass creates nothing.
            let before = try await fixture.records().count
            _ = try await converger.reconcile(Fleet(name: "test", services: [v3]))
            #expect(try await fixture.records().count == before)
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}
