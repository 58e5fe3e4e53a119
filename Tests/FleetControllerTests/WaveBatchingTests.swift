import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import Testing

/// A wave is one step: its `pending` records are one registry commit written before the runtime starts any of
/// them, its instances start together, and its `starting`, `serving`, `draining` records and the deletes after
/// destroying are one commit each. Checked by counting commits on simulated parts, then on real processes.
@Suite("A wave's records are batched, on simulated parts", .tags(.fast))
struct WaveBatchingTests {
    @Test("A wave of 10 costs one commit per step: pending, starting, serving, draining, deleted")
    func oneCommitPerStep() async throws {
        let fixture = try ConvergenceFixture.simulated()
        defer { Task { await fixture.tearDown() } }
        let registry = CommitLog(base: fixture.registry, runtime: fixture.runtime)
        let converger = Converger(
            registry: registry, runtime: fixture.runtime, options: .init(tick: .milliseconds(100)), clock: fixture.clock
        )

        let v1 = Self.wave(fixture.webService(image: try await fixture.image("1.0.0")))
        let first = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
        #expect(first.map(\.phase) == [.converged])
        let created = registry.commits
        let pending = created.filter { $0.puts(.pending) > 0 }
        #expect(pending.map { $0.puts(.pending) } == [10], "the wave's pending records: \(pending)")
        #expect(pending.first?.runningBefore == 0, "an instance ran before the wave was journaled")
        #expect(created.filter { $0.puts(.starting) > 0 }.map { $0.puts(.starting) } == [10])
        #expect(created.filter { $0.puts(.serving) > 0 }.map { $0.puts(.serving) } == [10])

        registry.reset()
        let v2 = Self.wave(fixture.webService(image: try await fixture.image("2.0.0")))
        let second = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(60))
        #expect(second.map(\.phase) == [.converged])
        let replaced = registry.commits
        #expect(replaced.filter { $0.puts(.pending) > 0 }.map { $0.puts(.pending) } == [10])
        #expect(replaced.filter { $0.puts(.draining) > 0 }.map { $0.puts(.draining) } == [10])
        #expect(replaced.filter { $0.deletes > 0 }.map(\.deletes) == [10], "the deletes after destroying")
    }

    /// `spec` with 10 replicas that all start in one wave.
    static func wave(_ spec: ServiceSpec) -> ServiceSpec {
        var spec = spec
        spec.replicas = 10
        spec.rollout.maxSurge = .count(10)
        return spec
    }
}

@Suite("A wave's instances start together, on real processes")
struct WaveConcurrencyTests {
    @Test("The processes of a wave of 4 start concurrently and all run before their starting records are written")
    func waveStartsTogether() async throws {
        let fixture = try ConvergenceFixture()
        defer { Task { await fixture.tearDown() } }
        let runtime = OverlapRecordingRuntime(base: fixture.runtime)
        let registry = CommitLog(base: fixture.registry, runtime: fixture.runtime)
        let converger = Converger(
            registry: registry, runtime: runtime, options: .init(tick: .milliseconds(100)), clock: fixture.clock)
        var spec = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 4)
        spec.rollout.maxSurge = .count(4)

        let report = try await converger.converge(Fleet(name: "test", services: [spec]), timeout: .seconds(60))
        #expect(report.map(\.phase) == [.converged])
        #expect(runtime.mostAtOnce == 4, "at most \(runtime.mostAtOnce) of the wave's 4 starts ran at once")
        let commits = registry.commits
        #expect(commits.first { $0.puts(.pending) > 0 }?.runningBefore == 0)
        let starting = commits.filter { $0.puts(.starting) > 0 }
        #expect(starting.map { $0.puts(.starting) } == [4])
        #expect(starting.first?.runningBefore == 4, "the wave's processes did not all run before they were journaled")
    }
}

/// A registry that remembers what each commit wrote and how many instances ran just before it.
final class CommitLog: ForwardingRegistry, @unchecked Sendable {
    struct Commit: CustomStringConvertible {
        var states: [InstanceState] = []
        var deletes = 0
        var runningBefore = 0

        func puts(_ state: InstanceState) -> Int { states.filter { $0 == state }.count }
        var description: String { "\(states.map(\.rawValue)) -\(deletes), \(runningBefore) running before" }
    }

    let runtime: any Runtime
    private let lock = NSLock()
    private var log: [Commit] = []

    init(base: any Registry, runtime: any Runtime) {
        self.runtime = runtime
        super.init(base: base)
    }

    var commits: [Commit] { lock.withLock { log } }
    func reset() { lock.withLock { log = [] } }

    override func commit(_ changes: [RegistryChange]) async throws -> Int64 {
        var commit = Commit()
        for change in changes {
            switch change {
            case .putInstance(let record, _): commit.states.append(record.state)
            case .deleteInstance: commit.deletes += 1
            default: break
            }
        }
        if !commit.states.isEmpty || commit.deletes > 0 {
            commit.runningBefore = try await runtime.inventory().filter(\.status.isRunning).count
            lock.withLock { log.append(commit) }
        }
        return try await base.commit(changes)
    }
}

/// A runtime that counts how many starts are under way at once. Each start first yields for a moment, so starts
/// that the converger issues together overlap however the machine schedules them, and serial ones never do.
final class OverlapRecordingRuntime: ForwardingRuntime, @unchecked Sendable {
    private let lock = NSLock()
    private var underWay = 0
    private var most = 0

    var mostAtOnce: Int { lock.withLock { most } }

    override func start(_ launch: InstanceLaunch) async throws -> RuntimeInstance {
        lock.withLock {
            underWay += 1
            most = max(most, underWay)
        }
        defer { lock.withLock { underWay -= 1 } }
        try await Task.sleep(for: .milliseconds(500))
        return try await base.start(launch)
    }
}
