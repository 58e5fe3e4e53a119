import FleetController
import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

/// Rollout logic on simulated parts (see ConvergenceFixture.simulated()): a day of maxAge passes at once.
@Suite("maxAge (phoenix) rotation", .tags(.fast))
struct MaxAgeRotationTests {
    @Test(
        "Instances past maxAge are replaced one at a time at full capacity, and every record keeps its real spec hash")
    func rotation() async throws {
        let fixture = try ConvergenceFixture.simulated()
        do {
            let converger = fixture.converger()
            var web = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
            // A day, as a fleet would set it: on the simulated clock it passes at once.
            web.maxAge = .seconds(86_400)
            let fleet = Fleet(name: "test", services: [web])
            let first = try await converger.converge(fleet, timeout: .seconds(60))
            #expect(first.map(\.phase) == [.converged])
            let originals = Set(try await fixture.records().map(\.id))
            #expect(originals.count == 2)

            let oldest = try await fixture.records().min { $0.createdAt < $1.createdAt }
            let due = (oldest?.createdAt ?? fixture.clock.wallTime).addingTimeInterval(86_401)
            try await fixture.pause(.seconds(max(0, due.timeIntervalSince(fixture.clock.wallTime))))

            // Pass by pass until the first original is gone: the oldest goes first, capacity never drops.
            let deadline = fixture.clock.wallTime.addingTimeInterval(90)
            var rotated: Set<String> = []
            while rotated.isEmpty && fixture.clock.wallTime < deadline {
                _ = try await converger.reconcile(fleet)
                let records = try await fixture.records()
                #expect(records.allSatisfy { $0.specHash == SpecHash(web) }, "a record's spec hash was changed")
                #expect(records.filter { $0.state == .serving }.count >= 2, "capacity dropped: \(records)")
                rotated = originals.subtracting(records.filter { $0.state.isLive }.map(\.id))
                try await fixture.pause(.milliseconds(100))
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
