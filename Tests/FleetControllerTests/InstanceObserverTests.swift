import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// The observer over a settled fleet of real processes: it asks for a pass when a serving instance exits or
/// fails its probes, and for nothing while the fleet is healthy.
@Suite("InstanceObserver", .serialized)
struct InstanceObserverTests {
    @Test("An idle healthy fleet asks for no pass; an unhealthy instance asks for one, and that pass replaces it")
    func unhealthyInstanceAsksForAPass() async throws {
        let fixture = try ConvergenceFixture()
        let failFile = fixture.stateDirectory + "/fail-health"
        do {
            let converger = fixture.converger()
            let web = fixture.webService(
                image: try await fixture.image("1.0.0", env: ["DEMO_FAIL_HEALTH_FILE": failFile]), replicas: 2)
            let fleet = Fleet(name: "test", services: [web])
            let settled = try await converger.converge(fleet, timeout: .seconds(60))
            try #require(settled.allSatisfy { $0.phase == .converged }, "\(settled)")
            let serving = try await fixture.records().filter { $0.state == .serving }.map(\.id)

            let observer = ObservedChanges(InstanceObserver(runtime: fixture.runtime, converger: converger))
            defer { observer.stop() }

            // Healthy and idle: ten probe intervals of nothing.
            try await Task.sleep(for: .seconds(2))
            let quiet = await observer.seen
            #expect(quiet.isEmpty, "a healthy fleet asked for a pass: \(quiet)")

            #expect(FileManager.default.createFile(atPath: failFile, contents: nil))
            let change = try #require(await observer.first(within: .seconds(20)), "no pass was asked for")
            guard case .unhealthy(let id) = change else {
                Issue.record("expected an unhealthy instance, got \(change)")
                return
            }
            #expect(serving.contains(id))
            // The pass it asks for takes the instance out of service and keeps it as evidence.
            _ = try await converger.reconcile(fleet)
            let record = try #require(try await fixture.records().first { $0.id == id })
            #expect(record.state == .quarantined && record.reason?.contains("unhealthy") == true, "\(record)")
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    @Test("A serving instance killed with SIGKILL asks for a pass at once, naming it")
    func exitAsksForAPass() async throws {
        let fixture = try ConvergenceFixture()
        do {
            let converger = fixture.converger()
            var web = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
            // Probed rarely, so only the exit can be what asks for the pass.
            web.health?.interval = .seconds(60)
            let fleet = Fleet(name: "test", services: [web])
            _ = try await converger.converge(fleet, timeout: .seconds(60))
            let victim = try #require(try await fixture.records().first { $0.state == .serving })

            let observer = ObservedChanges(InstanceObserver(runtime: fixture.runtime, converger: converger))
            defer { observer.stop() }
            try await Task.sleep(for: .milliseconds(500))
            #expect(kill(try #require(Int32(victim.runtimeHandle ?? "")), SIGKILL) == 0)
            let change = try #require(await observer.first(within: .seconds(10)), "the exit went unnoticed")
            guard case .exited(let exit) = change else {
                Issue.record("expected an exit, got \(change)")
                return
            }
            #expect(exit.instanceID == victim.id && exit.status == .signaled(signal: SIGKILL), "\(exit)")
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    @Test("A controller that stopped leading stops watching: an exit then asks for no pass")
    func standbyWatchesNothing() async throws {
        let fixture = try ConvergenceFixture()
        do {
            let converger = fixture.converger()
            let fleet = Fleet(
                name: "test", services: [fixture.webService(image: try await fixture.image("1.0.0"), replicas: 1)])
            _ = try await converger.converge(fleet, timeout: .seconds(60))
            let victim = try #require(try await fixture.records().first { $0.state == .serving })
            await converger.stopWatching()

            let observer = ObservedChanges(InstanceObserver(runtime: fixture.runtime, converger: converger))
            defer { observer.stop() }
            try await Task.sleep(for: .milliseconds(500))
            #expect(kill(try #require(Int32(victim.runtimeHandle ?? "")), SIGKILL) == 0)
            try await Task.sleep(for: .seconds(2))
            let seen = await observer.seen
            #expect(seen.isEmpty, "a standby asked for a pass: \(seen)")
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}

/// Runs an observer and keeps what it asks for.
final class ObservedChanges: Sendable {
    actor Seen {
        var changes: [InstanceObserver.Change] = []
        func add(_ change: InstanceObserver.Change) { changes.append(change) }
    }

    let recorded = Seen()
    let running: Task<Void, Never>
    let consuming: Task<Void, Never>

    init(_ observer: InstanceObserver) {
        running = Task { try? await observer.run() }
        consuming = Task { [recorded] in
            for await change in observer.passRequests { await recorded.add(change) }
        }
    }

    var seen: [InstanceObserver.Change] { get async { await recorded.changes } }

    /// The first change asked for, waiting up to `timeout` for one.
    func first(within timeout: Duration) async -> InstanceObserver.Change? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let change = await seen.first { return change }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func stop() {
        running.cancel()
        consuming.cancel()
    }
}
