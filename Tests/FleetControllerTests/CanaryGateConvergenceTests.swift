import FleetController
import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

/// Canary gates in the converger, on simulated parts (a gate that let the progress deadline run would fail the
/// rollout within the simulated minutes these tests wait): the rollout holds at the gate, a new converger (a
/// restarted controller, a standby taking over) holds there too, promote moves it on, abort rolls it back.
@Suite("Converger: canary gates hold until promote or abort")
struct CanaryGateConvergenceTests {
    /// web v1 converged, then v2 as a canary: one instance in three, then a gate at that weight.
    static func pausedAtGate(_ fixture: ConvergenceFixture, events: EventLog) async throws -> (ServiceSpec, ServiceSpec)
    {
        let converger = fixture.converger(events: events)
        let v1 = Self.canary(
            fixture.webService(image: try await fixture.image("1.0.0"), progressDeadline: .seconds(30)))
        let first = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(120))
        // A first rollout passes its gates: nothing to compare with, nothing to abort to.
        #expect(first.map(\.phase) == [.converged])
        let v2 = Self.canary(
            fixture.webService(image: try await fixture.image("2.0.0"), progressDeadline: .seconds(30)))
        // Ten minutes of simulated time: twenty progress deadlines.
        let second = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(600))
        let gate = try #require(second.first?.phase.gate, "\(second)")
        #expect(gate.step == 2 && gate.weight == 33)
        #expect(second.first?.phase.name == .paused)
        return (v1, v2)
    }

    static func canary(_ spec: ServiceSpec) -> ServiceSpec {
        var spec = spec
        spec.rollout.strategy = .canary
        spec.rollout.steps = [.init(weight: 33, pause: .zero), .init(weight: 33, pause: .zero, gate: true)]
        return spec
    }

    static func live(_ fixture: ConvergenceFixture) async throws -> [SpecHash] {
        try await fixture.records().filter { $0.state == .serving }.map(\.specHash)
    }

    @Test("held past the progress deadline and across a new converger; promote completes it")
    func promote() async throws {
        let fixture = try ConvergenceFixture.simulated()
        let events = EventLog(capacity: 1_000)
        do {
            let (v1, v2) = try await Self.pausedAtGate(fixture, events: events)
            let held = try await Self.live(fixture)
            #expect(held.filter { $0 == SpecHash(v2) }.count == 1 && held.filter { $0 == SpecHash(v1) }.count == 2)
            let state = try #require(try await fixture.registry.rolloutState(service: "web")?.record)
            #expect(state.phase == .paused && state.failedSpecHashes.isEmpty)

            // A restarted controller: a new converger reads the paused state and keeps waiting, telling nothing new.
            let restarted = fixture.converger(events: events)
            let again = try await restarted.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(300))
            #expect(again.first?.phase.name == .paused, "\(again)")
            #expect(await events.events().events.filter { $0.type == .rolloutPaused }.count == 1)

            let outcome = try await RolloutGate.promote(
                service: "web", in: fixture.registry, now: fixture.clock.wallTime)
            guard case .done(let promoted) = outcome else {
                Issue.record("promote refused: \(outcome)")
                return await fixture.tearDown()
            }
            #expect(promoted.phase == .progressing && promoted.step == 2)
            let done = try await restarted.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(300))
            #expect(done.map(\.phase) == [.converged], "\(done)")
            #expect(try await Self.live(fixture) == Array(repeating: SpecHash(v2), count: 3))
            let second = try await RolloutGate.promote(
                service: "web", in: fixture.registry, now: fixture.clock.wallTime)
            #expect(second == .refused("the rollout of 'web' waits at no canary gate (it is converged)"))
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    @Test("abort at the gate restores the last good spec and fails the target, which is not tried again")
    func abort() async throws {
        let fixture = try ConvergenceFixture.simulated()
        let events = EventLog(capacity: 1_000)
        do {
            let (v1, v2) = try await Self.pausedAtGate(fixture, events: events)
            let outcome = try await RolloutGate.abort(
                service: "web", by: "alice", reason: "errors up", in: fixture.registry)
            guard case .done(let aborted) = outcome else {
                Issue.record("abort refused: \(outcome)")
                return await fixture.tearDown()
            }
            #expect(aborted.phase == .rollingBack && aborted.isRolledBackFrom(SpecHash(v2)))
            let converger = fixture.converger(events: events)
            let back = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(300))
            #expect(back.map(\.phase) == [.rolledBack(reason: "aborted by alice: errors up")], "\(back)")
            #expect(try await Self.live(fixture) == Array(repeating: SpecHash(v1), count: 3))
            // Git still asks for v2: it stays rolled back from until the spec changes or a retry.
            let later = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(60))
            #expect(later.map(\.phase.name) == [.rolledBack])
            #expect(try await Self.live(fixture) == Array(repeating: SpecHash(v1), count: 3))
            let nothing = try await RolloutGate.abort(service: "web", by: "alice", reason: nil, in: fixture.registry)
            #expect(nothing == .refused("no rollout of 'web' is under way (it is rolled-back); nothing to abort"))
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}
