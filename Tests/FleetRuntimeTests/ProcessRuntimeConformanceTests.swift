import FleetRuntime
import GitFleetTesting
import Testing

@Suite("ProcessRuntime conforms to Runtime")
struct ProcessRuntimeConformanceTests {
    @Test(arguments: RuntimeConformance.Check.allCases)
    func conformance(_ check: RuntimeConformance.Check) async throws {
        try await RuntimeConformance(makeFixture: RuntimeFixtures.processRuntimeFixture).run(check)
    }
}
