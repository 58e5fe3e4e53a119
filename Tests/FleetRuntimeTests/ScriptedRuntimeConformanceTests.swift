import FleetRuntime
import GitFleetTesting
import Testing

/// The scripted runtime the fast rollout tests use keeps the same contract as the real ones.
@Suite("ScriptedRuntime conforms to Runtime", .tags(.fast))
struct ScriptedRuntimeConformanceTests {
    @Test(arguments: RuntimeConformance.Check.allCases)
    func conformance(_ check: RuntimeConformance.Check) async throws {
        try await RuntimeConformance(makeFixture: RuntimeFixtures.scriptedRuntimeFixture).run(check)
    }
}
