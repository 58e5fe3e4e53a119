import FleetController
import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

@Suite("maxAge (phoenix) rotation", .serialized)
struct MaxAgeRotationTests {
    @Test(
        "Instances past maxAge are replaced one at a time at full capacity, and every record keeps its real spec hash")
    func rotation() async throws {
        let fixture = try ConvergenceFixture()
        do {
            let converger = fixture.converger()
            var web = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
            // Long enough that a replacement made on a loaded machine is not itself due before the test ends.
            web.maxAge = .seconds(20)
            let fleet = Fleet(name: "test", services: [web])
            let first = try await converger.converge(fleet, timeout: .seconds(60))
            #expect(first.map(\.phase) == [.converged])
            let originals = Set(try await fixture.records().map(\.id))
            #expect(originals.count == 2)

            let oldest = try await fixture.records().min { $0.createdAt < $1.createdAt }
            let due = (oldest?.createdAt ?? Date()).addingTimeInterval(21)
            try await Task.sleep(for: .seconds(max(0, due.timeIntervalSinceNow)))

            // Pass by pass until the first original is gone: the oldest goes first, capacity never drops.
            let deadline = Date().addingTimeInterval(90)
            var rotated: Set<String> = []
            while rotated.isEmpty && Date() < deadline {
                _ = try await converger.reconcile(fleet)
                let records = try await fixture.records()
                #expect(records.allSatisfy { $0.specHash == SpecHash(web) }, "a record's spec hash was changed")
                #expect(records.filter { $0.state == .serving }.count >= 2, "capacity dropped: \(records)")
                rotated = originals.subtracting(records.filter { $0.state.isLive }.map(\.id))
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(rotated == Set([oldest?.id].compactMap { $0 }), "the oldest instance goes first")
            let records = try await fixture.records()
            #expect(records.filter { $0.state == .serving }.count == 2)
            let state = try await fixture.registry.rolloutState(service: "web")?.record
            #expect(state?.targetSpecHash == SpecHash(web) && state?.failedSpecs.isEmpty == true)
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}
