import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// The rolling update's logic, on an in-memory registry, a scripted runtime and a simulated clock: every
/// committed step of the rollout is checked against the rolling bounds, and the whole of it takes simulated
/// seconds, not real ones. RollingReplacementTests proves the same on real processes and containers.
@Suite("Rolling update on simulated parts", .tags(.fast))
struct SimulatedRollingUpdateTests {
    static let replicas = 3
    static let maxSurge = 1
    static let maxUnavailable = 0

    @Test("v1 → v2 in three waves keeps the bounds at every step; a v3 whose first instance fails its probe rolls back")
    func threeWavesThenFailingCanaryWave() async throws {
        let fixture = try ConvergenceFixture.simulated()
        let bounds = RollingBounds(
            replicas: Self.replicas, maxSurge: Self.maxSurge, maxUnavailable: Self.maxUnavailable)
        let registry = InspectedRegistry(base: fixture.registry, runtime: fixture.runtime, bounds: bounds)
        let converger = Converger(
            registry: registry, runtime: fixture.runtime, options: .init(tick: .milliseconds(100)), clock: fixture.clock
        )
        defer { Task { await fixture.tearDown() } }

        let v1 = fixture.webService(image: try await fixture.image("1.0.0"))
        #expect(
            try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60)).map(\.phase) == [
                .converged
            ])
        let v1IDs = Set(try await fixture.records().map(\.id))
        #expect(v1IDs.count == Self.replicas)

        // v1 → v2: three waves of one new instance each (maxSurge 1, maxUnavailable 0).
        await bounds.start()
        let v2 = fixture.webService(image: try await fixture.image("2.0.0"))
        let second = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(60))
        #expect(second.map(\.phase) == [.converged])
        #expect(second.first?.created == 6 && second.first?.destroyed == 3)
        let v2Records = try await fixture.records()
        #expect(
            v2Records.count == Self.replicas
                && v2Records.allSatisfy { $0.specHash == SpecHash(v2) && $0.state == .serving })
        #expect(Set(try await fixture.runtime.inventory().map(\.instanceID)) == Set(v2Records.map(\.id)))
        let waves = await bounds.waves
        #expect(waves == Self.replicas, "a new instance joined the serving set \(waves) times, not once per wave")
        let violations = await bounds.stop()
        #expect(violations.isEmpty, "\(violations)")

        // v2 → v3: the first new instance (the canary wave) never passes its probe; the rollout fails and rolls
        // back to v2, which never stopped serving. The deadline (3 s) falls before the creation back-off after
        // the failed start (2 s + 2 s) would allow a second try.
        await bounds.start()
        let v3 = fixture.webService(
            image: try await fixture.image("3.0.0", env: ["DEMO_FAIL_HEALTH": "1"]), progressDeadline: .seconds(3),
            startTimeout: .seconds(2))
        #expect(v3.rollout.autoRollback)
        let third = try await converger.converge(Fleet(name: "test", services: [v3]), timeout: .seconds(60))
        let phase = try #require(third.first?.phase)
        guard case .rolledBack(let reason) = phase else {
            Issue.record("expected a rollback, got \(phase)")
            return
        }
        #expect(reason.contains("progressDeadline") && reason.contains("not healthy"), "\(reason)")
        let after = try await fixture.records()
        let serving = after.filter { $0.state == .serving }
        #expect(Set(serving.map(\.id)) == Set(v2Records.map(\.id)), "the v2 instances were not left intact")
        #expect(serving.allSatisfy { $0.specHash == SpecHash(v2) })
        let failed = after.filter { $0.specHash == SpecHash(v3) }
        #expect(failed.count == 1, "more than the canary wave was tried: \(failed.map(\.id))")
        #expect(failed.allSatisfy { $0.state == .quarantined && ($0.reason ?? "").contains("startTimeout") })
        let running = try await fixture.runtime.inventory().filter(\.status.isRunning)
        #expect(Set(running.map(\.instanceID)) == Set(v2Records.map(\.id)), "the failed instance was left running")
        let state = try #require(try await fixture.registry.rolloutState(service: "web")?.record)
        #expect(state.phase == .rolledBack && state.failedSpecHashes == [SpecHash(v3)])
        #expect(state.lastGoodSpecHash == SpecHash(v2))

        // The failed spec is held back: further passes, however much later, create nothing.
        for _ in 0..<5 {
            try await fixture.pause(.seconds(600))
            _ = try await converger.reconcile(Fleet(name: "test", services: [v3]))
        }
        #expect(try await fixture.records().count == after.count)
        let held = await bounds.stop()
        #expect(held.isEmpty, "\(held)")
        #expect(await bounds.steps > 5, "the bounds were checked at too few steps")
    }
}

/// The rolling bounds, checked against every committed state of the registry while a rollout runs.
actor RollingBounds {
    let replicas: Int
    let maxSurge: Int
    let maxUnavailable: Int
    private var checking = false
    private var violations: [String] = []
    private var lastServing: Set<String> = []
    /// Commits checked.
    private(set) var steps = 0
    /// Times an instance joined the serving set.
    private(set) var waves = 0

    init(replicas: Int, maxSurge: Int, maxUnavailable: Int) {
        self.replicas = replicas
        self.maxSurge = maxSurge
        self.maxUnavailable = maxUnavailable
    }

    func start() {
        checking = true
        violations = []
        waves = 0
        lastServing = []
    }

    /// Stops checking and returns what broke the bounds.
    func stop() -> [String] {
        checking = false
        return violations
    }

    func check(_ snapshot: RegistrySnapshot, running: Int) {
        guard checking else { return }
        steps += 1
        let records = snapshot.instances.map(\.record)
        let live = records.filter(\.state.isLive)
        let serving = Set(records.filter { $0.state == .serving }.map(\.id))
        if live.count > replicas + maxSurge {
            violations.append("step \(steps): \(live.count) live instances, more than \(replicas + maxSurge)")
        }
        if running > replicas + maxSurge {
            violations.append("step \(steps): \(running) running instances, more than \(replicas + maxSurge)")
        }
        if serving.count < replicas - maxUnavailable {
            violations.append("step \(steps): \(serving.count) serving, fewer than \(replicas - maxUnavailable)")
        }
        if !lastServing.isEmpty { waves += serving.subtracting(lastServing).count }
        lastServing = serving
    }
}

/// A registry that shows every committed state, with the runtime's running count, to ``RollingBounds``.
final class InspectedRegistry: ForwardingRegistry, @unchecked Sendable {
    let runtime: any Runtime
    let bounds: RollingBounds

    init(base: any Registry, runtime: any Runtime, bounds: RollingBounds) {
        self.runtime = runtime
        self.bounds = bounds
        super.init(base: base)
    }

    override func commit(_ changes: [RegistryChange]) async throws -> Int64 {
        let revision = try await base.commit(changes)
        let running = try await runtime.inventory().filter(\.status.isRunning).count
        await bounds.check(try await base.snapshot(), running: running)
        return revision
    }
}
