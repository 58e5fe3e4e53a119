import FleetRegistry
import GitFleetTesting
import Testing

/// The in-memory registry the fast rollout tests use keeps the same contract as SQLite and etcd.
@Suite(.tags(.fast))
struct InMemoryRegistryConformanceTests {
    @Test(arguments: RegistryConformance.Check.allCases)
    func conformance(_ check: RegistryConformance.Check) async throws {
        let conformance = RegistryConformance(
            makeRegistry: { InMemoryRegistry() },
            // Another handle on the same store, as a `gitfleet retry` in another process opens it.
            sameStore: { registry in InMemoryRegistry(sharing: try #require(registry as? InMemoryRegistry)) })
        try await conformance.run(check)
    }
}
