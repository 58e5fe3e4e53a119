import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

@Suite struct SQLiteRegistryConformanceTests {
    @Test(arguments: RegistryConformance.Check.allCases)
    func conformance(_ check: RegistryConformance.Check) async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        let conformance = RegistryConformance(
            makeRegistry: { try SQLiteRegistry(path: directory.file("registry-\(UUID()).sqlite")) },
            // Another connection to the same file, as a `gitfleet retry` in another process opens it.
            sameStore: { registry in try SQLiteRegistry(path: try #require(registry as? SQLiteRegistry).path) })
        try await conformance.run(check)
    }
}
