import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

@Suite("Self-healing and drift", .serialized)
struct SelfHealingTests {
    @Test("A serving instance that exits is quarantined and replaced by a new one, never restarted")
    func exitedInstanceIsReplaced() async throws {
        let fixture = try ConvergenceFixture()
        do {
            let converger = fixture.converger()
            let fleet = Fleet(name: "test", services: [fixture.webService(image: try await fixture.image("1.0.0"))])
            _ = try await converger.converge(fleet, timeout: .seconds(60))
            let victim = try #require(try await fixture.records().first)
            let pid = try #require(victim.runtimeHandle.flatMap { Int32($0) })
            kill(pid, SIGKILL)
            try await Task.sleep(for: .milliseconds(300))

            let report = try await converger.converge(fleet, timeout: .seconds(60))
            #expect(report.map(\.phase) == [.converged])
            let records = try await fixture.records()
            let quarantined = try #require(records.first { $0.id == victim.id })
            #expect(quarantined.state == .quarantined)
            #expect(quarantined.reason?.contains("exited") == true, "\(quarantined.reason ?? "")")
            let serving = records.filter { $0.state == .serving }
            #expect(serving.count == 3 && !serving.contains { $0.id == victim.id })
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    /// Logic only: on simulated parts (the exit test above proves the process runtime's part).
    @Test("A serving instance that turns unhealthy is taken out and replaced")
    func unhealthyInstanceIsReplaced() async throws {
        let fixture = try ConvergenceFixture.simulated()
        do {
            let converger = fixture.converger()
            let failFile = fixture.stateDirectory + "/fail-health"
            let image = try await fixture.image("1.0.0", env: ["DEMO_FAIL_HEALTH_FILE": failFile])
            let fleet = Fleet(name: "test", services: [fixture.webService(image: image, replicas: 2)])
            _ = try await converger.converge(fleet, timeout: .seconds(60))
            let before = Set(try await fixture.records().map(\.id))

            // Every instance now fails its health check; the file goes away once they are taken out.
            FileManager.default.createFile(atPath: failFile, contents: Data())
            var unhealthy: [InstanceRecord] = []
            for _ in 0..<50 where unhealthy.isEmpty {
                _ = try await converger.reconcile(fleet)
                unhealthy = try await fixture.records().filter { $0.state == .quarantined }
                try await fixture.pause(.milliseconds(100))
            }
            try FileManager.default.removeItem(atPath: failFile)
            #expect(!unhealthy.isEmpty && unhealthy.allSatisfy { before.contains($0.id) })
            #expect(unhealthy.allSatisfy { ($0.reason ?? "").contains("unhealthy") }, "\(unhealthy.map(\.reason))")

            let report = try await converger.converge(fleet, timeout: .seconds(60))
            #expect(report.map(\.phase) == [.converged])
            let serving = try await fixture.records().filter { $0.state == .serving }
            #expect(serving.count == 2 && serving.allSatisfy { !unhealthy.map(\.id).contains($0.id) })
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    @Test("An instance running without a record is removed; a record without an instance is failed and replaced")
    func driftBothWays() async throws {
        let fixture = try ConvergenceFixture()
        do {
            let events = EventLog()
            let converger = Converger(
                registry: fixture.registry, runtime: fixture.runtime, options: .init(tick: .milliseconds(100)),
                events: events)
            let image = try await fixture.image("1.0.0")
            let spec = fixture.webService(image: image, replicas: 1)
            _ = try await converger.converge(Fleet(name: "test", services: [spec]), timeout: .seconds(60))

            // A stranger: started in the runtime behind the controller's back.
            let stranger = try await fixture.runtime.start(
                InstanceLaunch(
                    instanceID: "web-stranger", service: "web", specHash: SpecHash(spec), image: image,
                    ports: ["http": 0]))
            // A ghost: a record whose instance the runtime never ran.
            var ghost = try #require(try await fixture.records().first)
            ghost.id = "web-ghost"
            ghost.runtimeHandle = nil
            try await fixture.registry.commit([.putInstance(ghost)])

            let report = try await converger.converge(Fleet(name: "test", services: [spec]), timeout: .seconds(60))
            #expect(report.map(\.phase) == [.converged])
            let inventory = try await fixture.runtime.inventory()
            #expect(!inventory.contains { $0.instanceID == stranger.instanceID }, "the unrecorded instance still runs")
            let records = try await fixture.records()
            #expect(records.first { $0.id == "web-ghost" }?.state == .quarantined)
            #expect(records.filter { $0.state == .serving }.count == 1)
            let drift = await events.events().events.filter { $0.type == .driftFound }
            #expect(drift.contains { $0.instance == "web-stranger" }, "\(drift.map(\.message))")
            #expect(drift.contains { $0.instance == "web-ghost" }, "\(drift.map(\.message))")
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}
