import FleetController
import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

/// The converger's events, from a rollout on simulated parts (see ConvergenceFixture.simulated()): what is told,
/// in which order.
@Suite("The converger tells instances and rollouts as events", .tags(.fast))
struct ConvergerEventTests {
    static func types(_ events: [FleetEvent]) -> [String] { events.map(\.type.rawValue) }

    @Test("a rollout and its replacement, then a failed one that rolls back, each step once and in order")
    func rolloutEvents() async throws {
        let fixture = try ConvergenceFixture.simulated()
        do {
            let log = EventLog(firstID: 1)
            let converger = fixture.converger(events: log)
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
            _ = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            let first = await log.events().events
            #expect(first.first?.type == .rolloutStarted, "\(Self.types(first))")
            #expect(first.last?.type == .rolloutConverged, "\(Self.types(first))")
            #expect(first.filter { $0.type == .instanceCreated }.count == 2)
            #expect(first.filter { $0.type == .instanceServing }.count == 2)
            for created in first where created.type == .instanceCreated {
                let serving = first.first { $0.type == .instanceServing && $0.instance == created.instance }
                #expect(
                    serving.map { $0.id > created.id } == true, "\(created.instance ?? "") serves after it is created")
                #expect(created.service == "web" && created.fields["specHash"] == .text(SpecHash(v1).short))
            }

            let v2 = fixture.webService(image: try await fixture.image("2.0.0"), replicas: 2)
            _ = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(60))
            let second = await log.events(after: first.last!.id).events
            #expect(second.first?.type == .rolloutStarted, "\(Self.types(second))")
            #expect(second.filter { $0.type == .rolloutConverged }.count == 1, "\(Self.types(second))")
            for old in first where old.type == .instanceCreated {
                let draining = second.first { $0.type == .instanceDraining && $0.instance == old.instance }
                let destroyed = second.first { $0.type == .instanceDestroyed && $0.instance == old.instance }
                #expect(draining != nil && destroyed.map { $0.id > draining!.id } == true, "\(Self.types(second))")
            }

            let broken = fixture.webService(
                image: try await fixture.image("3.0.0", env: ["DEMO_FAIL_HEALTH": "1"]), replicas: 2,
                progressDeadline: .seconds(4), startTimeout: .seconds(2))
            _ = try await converger.converge(Fleet(name: "test", services: [broken]), timeout: .seconds(90))
            let third = await log.events(after: second.last!.id).events
            let kinds = third.map(\.type)
            let failed = try #require(third.first { $0.type == .rolloutFailed }, "\(Self.types(third))")
            #expect(failed.fields["rollback"] == .flag(true))
            #expect(kinds.contains(.instanceQuarantined), "\(Self.types(third))")
            let rolledBack = try #require(third.first { $0.type == .rolloutRolledBack }, "\(Self.types(third))")
            #expect(rolledBack.id > failed.id)
            #expect(!third.contains { $0.message.contains("last log lines") }, "events quote no instance logs")
            let all = await log.events().events.map(\.id)
            #expect(all == Array(1...UInt64(all.count)), "one id per event, none skipped")
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}
