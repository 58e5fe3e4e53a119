import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

@Suite struct SQLiteRegistryConformanceTests {
    @Test(arguments: RegistryConformance.Check.allCases)
    func conformance(_ check: RegistryConformance.Check) async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        let conformance = RegistryConformance { try SQLiteRegistry(path: directory.file("registry-\(UUID()).sqlite")) }
        try await conformance.run(check)
    }
}
