import FleetRuntime
import GitFleetTesting
import Testing

@Suite("DockerRuntime conforms to Runtime (against Podman)")
struct DockerRuntimeConformanceTests {
    @Test(arguments: RuntimeConformance.Check.allCases)
    func conformance(_ check: RuntimeConformance.Check) async throws {
        try await RuntimeConformance(makeFixture: DockerFixtures.dockerRuntimeFixture).run(check)
    }
}
