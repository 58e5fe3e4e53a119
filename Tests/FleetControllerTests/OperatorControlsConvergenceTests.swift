import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// Operators' controls carried out by the real converger on simulated parts: what the ``FreezeDecision`` hands it
/// for a suspended or a pinned service is what the fleet then runs.
@Suite("Operator controls on the converger: suspension holds and heals, a rollback pin rolls and holds", .tags(.fast))
struct OperatorControlsConvergenceTests {
    static let alice = Attribution(by: "alice", at: RegistryTimestamp.normalized(Date()), reason: "incident #42")

    @Test("a suspended service keeps its spec and is healed there; resumed, the new spec rolls out")
    func suspendedThenResumed() async throws {
        let fixture = try ConvergenceFixture.simulated()
        do {
            let converger = fixture.converger()
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
            let v2 = fixture.webService(image: try await fixture.image("2.0.0"), replicas: 2)
            _ = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            #expect(
                try await ServiceControl.apply(.suspend, service: "web", attribution: Self.alice, in: fixture.registry)
                    == .suspended(Self.alice))
            let desired = Fleet(name: "test", services: [v2], revision: "c2")
            func decide() async throws -> FreezeDecision {
                FreezeDecision(
                    desired: desired, rollouts: try await fixture.registry.rolloutStates().map(\.record), open: [])
            }
            let held = try await decide()
            #expect(held.holds["web"]?.suspension?.by == "alice")
            #expect(held.holds["web"]?.description == "waiting: suspended by alice (incident #42)")
            _ = try await converger.converge(held.fleet, timeout: .seconds(60))
            let before = try await fixture.records()
            #expect(before.filter { $0.state == .serving }.allSatisfy { $0.image == v1.image.description })

            // Self-healing goes on at the suspended spec.
            let (victim, serving) = try await fixture.killOneAndHeal(converger, replicas: 2) {
                try await decide().fleet
            }
            #expect(serving.count == 2 && !serving.contains { $0.id == victim.id })
            #expect(serving.allSatisfy { $0.image == v1.image.description }, "\(serving.map(\.image))")

            let resumed = try await ServiceControl.apply(
                .resume, service: "web", attribution: Attribution(by: "bob", at: Date()), in: fixture.registry)
            #expect(resumed == .resumed(lifted: Self.alice))
            let after = try await decide()
            #expect(after.holds.isEmpty)
            let report = try await converger.converge(after.fleet, timeout: .seconds(120))
            #expect(report.map(\.phase) == [.converged])
            let final = try await fixture.records().filter { $0.state == .serving }
            #expect(final.count == 2 && final.allSatisfy { $0.image == v2.image.description })
            if case .refused(let why) = try await ServiceControl.apply(
                .resume, service: "web", attribution: Self.alice, in: fixture.registry)
            {
                #expect(why.contains("not suspended"))
            } else {
                Issue.record("a second resume must be refused")
            }
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    @Test("an operator's write made while a pass runs is not overwritten by the pass's own rollout-state write")
    func operatorWriteDuringPass() async throws {
        let fixture = try ConvergenceFixture.simulated()
        do {
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
            let v2 = fixture.webService(image: try await fixture.image("2.0.0"), replicas: 2)
            _ = try await fixture.converger().converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            // The suspension lands between the pass's read of the rollout state and its write of it.
            let registry = InterleavingRegistry(base: fixture.registry) { base in
                _ = try await ServiceControl.apply(.suspend, service: "web", attribution: Self.alice, in: base)
            }
            let converger = Converger(
                registry: registry, runtime: fixture.runtime, options: .init(tick: .milliseconds(100)),
                clock: fixture.clock)
            _ = try await converger.reconcile(Fleet(name: "test", services: [v2], revision: "c2"))
            #expect(registry.interleaved)
            let state = try #require(try await fixture.registry.rolloutState(service: "web")).record
            #expect(state.suspended == Self.alice, "\(state)")
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    @Test("a fleet-wide suspension holds every service, one Git adds included; a pin still rolls")
    func fleetSuspension() {
        func spec(_ name: String, _ tag: String) -> ServiceSpec {
            ServiceSpec(name: name, image: ImageReference(repository: "shop/\(name)", tag: tag), replicas: 1)
        }
        let now = Date()
        var web = RolloutState.begin(service: "web", target: SpecHash(spec("web", "1")), revision: "c1", now: now)
        web.converged(on: spec("web", "1"), desired: SpecHash(spec("web", "1")), revision: "c1")
        var db = RolloutState.begin(service: "db", target: SpecHash(spec("db", "1")), revision: "c1", now: now)
        db.converged(on: spec("db", "1"), desired: SpecHash(spec("db", "1")), revision: "c1")
        db.desire(SpecHash(spec("db", "2")), revision: "c2", now: now)
        db.converged(on: spec("db", "2"), desired: SpecHash(spec("db", "2")), revision: "c2")
        _ = db.pin(Self.alice)
        let desired = Fleet(
            name: "test", services: [spec("web", "2"), spec("api", "1"), spec("db", "2")], revision: "c3")
        let decision = FreezeDecision(desired: desired, rollouts: [web, db], open: [], fleetSuspension: Self.alice)
        let tags = Dictionary(uniqueKeysWithValues: decision.fleet.services.map { ($0.name, $0.image.tag) })
        #expect(tags == ["web": "1", "db": "1"], "web held at 1, db pinned at 1, api withheld")
        #expect(decision.holds.keys.sorted() == ["api", "web"])
        #expect(decision.holds["api"]?.suspension == Self.alice)
        let report = decision.report([ServiceConvergence(service: "web", phase: .converged, replicas: 1)])
        #expect(report.map(\.service) == ["web", "api"] && report.allSatisfy { $0.phase.name == .waiting })
        let free = FreezeDecision(desired: desired, rollouts: [web, db], open: [])
        #expect(free.holds.isEmpty && free.fleet.services.count == 3)
    }

    @Test("rollback after a good deploy rolls the previous spec back, holds it, and a changed spec releases it")
    func pinnedThenReleased() async throws {
        let fixture = try ConvergenceFixture.simulated()
        do {
            let converger = fixture.converger()
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
            let v2 = fixture.webService(image: try await fixture.image("2.0.0"), replicas: 2)
            let v3 = fixture.webService(image: try await fixture.image("3.0.0"), replicas: 2)
            _ = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            _ = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(120))
            guard
                case .pinned(let pin) = try await ServiceControl.apply(
                    .rollback, service: "web", attribution: Self.alice, in: fixture.registry)
            else {
                Issue.record("rollback after a good deploy must pin")
                return
            }
            #expect(pin.spec.image == v1.image && pin.from == SpecHash(v2))
            let desired = Fleet(name: "test", services: [v2], revision: "c2")
            for _ in 0..<2 {
                let decision = FreezeDecision(
                    desired: desired, rollouts: try await fixture.registry.rolloutStates().map(\.record), open: [])
                let report = try await converger.converge(decision.fleet, timeout: .seconds(120))
                #expect(report.map(\.phase) == [.converged])
                let serving = try await fixture.records().filter { $0.state == .serving }
                #expect(serving.count == 2 && serving.allSatisfy { $0.image == v1.image.description })
            }
            if case .refused(let why) = try await ServiceControl.apply(
                .rollback, service: "web", attribution: Self.alice, in: fixture.registry)
            {
                #expect(why.contains("already"))
            } else {
                Issue.record("a second rollback to the same spec must be refused")
            }

            // A commit changes web: the pin is released (the reconcile loop does this) and v3 rolls out.
            let stored = try #require(try await fixture.registry.rolloutState(service: "web"))
            var state = stored.record
            #expect(state.releasePin(desired: SpecHash(v3)) == pin)
            try await fixture.registry.commit([.putRolloutState(state, expecting: .version(stored.version))])
            let next = FreezeDecision(
                desired: Fleet(name: "test", services: [v3], revision: "c3"),
                rollouts: try await fixture.registry.rolloutStates().map(\.record), open: [])
            #expect(try await converger.converge(next.fleet, timeout: .seconds(120)).map(\.phase) == [.converged])
            let final = try await fixture.records().filter { $0.state == .serving }
            #expect(final.count == 2 && final.allSatisfy { $0.image == v3.image.description })
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}

/// A registry that runs `write` against its base once, just before the first rollout-state write it is asked for:
/// an operator acting while a pass is under way.
final class InterleavingRegistry: ForwardingRegistry, @unchecked Sendable {
    let write: @Sendable (any Registry) async throws -> Void
    private(set) var interleaved = false

    init(base: any Registry, write: @escaping @Sendable (any Registry) async throws -> Void) {
        self.write = write
        super.init(base: base)
    }

    override func commit(_ changes: [RegistryChange]) async throws -> Int64 {
        let writesRollout = changes.contains {
            if case .putRolloutState = $0 { return true }
            return false
        }
        if writesRollout && !interleaved {
            interleaved = true
            try await write(base)
        }
        return try await base.commit(changes)
    }
}
