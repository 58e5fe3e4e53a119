import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// Rollout logic on simulated parts (see ConvergenceFixture.simulated()).
@Suite("autoRollback: false holds instead of rolling back", .tags(.fast))
struct AutoRollbackTests {
    @Test("A missed deadline fails the rollout, rolls nothing back, keeps v1 serving and tries v2 again later")
    func missedDeadlineIsReportedNotRolledBack() async throws {
        let fixture = try ConvergenceFixture.simulated()
        do {
            let converger = fixture.converger()
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
            _ = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            var v2 = fixture.webService(
                image: try await fixture.image("2.0.0", env: ["DEMO_FAIL_HEALTH": "1"]), replicas: 2,
                progressDeadline: .seconds(4), startTimeout: .seconds(2))
            v2.rollout.autoRollback = false

            let report = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(60))
            let phase = try #require(report.first?.phase)
            guard case .failed(let reason) = phase else {
                Issue.record("expected a failed rollout, got \(phase)")
                return await fixture.tearDown()
            }
            #expect(reason.contains("progressDeadline") && reason.contains("autoRollback is off"), "\(reason)")
            let state = try #require(try await fixture.registry.rolloutState(service: "web")?.record)
            #expect(state.phase == .failed)
            #expect(state.failedSpecHashes.isEmpty, "the spec is not marked as never to be tried again")
            #expect(state.targetSpecHash == SpecHash(v2), "the target stays the desired spec")
            let serving = try await fixture.records().filter { $0.state == .serving }
            #expect(serving.count == 2 && serving.allSatisfy { $0.specHash == SpecHash(v1) })

            // Later passes report the failure again and keep v1 serving; new v2 instances come only after the
            // creation back-off, never at the cost of a serving v1.
            for _ in 0..<3 {
                let again = try await converger.reconcile(Fleet(name: "test", services: [v2]))
                guard case .failed = try #require(again.first?.phase) else {
                    Issue.record("expected the failure to be reported again, got \(String(describing: again.first))")
                    break
                }
            }
            let stillServing = try await fixture.records().filter { $0.state == .serving }
            #expect(stillServing.count == 2 && stillServing.allSatisfy { $0.specHash == SpecHash(v1) })
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}
