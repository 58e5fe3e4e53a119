import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// The random part of a chaos scenario: a seed (from `GITFLEET_CHAOS_SEED`, or a new one) that every failure
/// message names, so a run replays with the same delays and victims, and how many strikes to make
/// (`GITFLEET_CHAOS_KILLS` for the long runs of `scripts/chaos`, else the suite's short default).
struct ChaosSchedule {
    let seed: UInt64
    let strikes: Int
    var random: SeededGenerator

    init(defaultStrikes: Int) {
        let environment = ProcessInfo.processInfo.environment
        seed = environment["GITFLEET_CHAOS_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...999_999)
        strikes = environment["GITFLEET_CHAOS_KILLS"].flatMap { Int($0) } ?? defaultStrikes
        random = SeededGenerator(seed: seed)
    }

    /// Names the run in failure messages: `GITFLEET_CHAOS_SEED=… GITFLEET_CHAOS_KILLS=…` replays it.
    var replay: String { "GITFLEET_CHAOS_SEED=\(seed) GITFLEET_CHAOS_KILLS=\(strikes)" }

    /// A delay between `range`'s bounds, in milliseconds.
    mutating func delay(_ range: ClosedRange<Int>) -> Duration {
        .milliseconds(Int.random(in: range, using: &random))
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &random) < probability
    }

    mutating func pick<Element>(_ elements: [Element]) -> Element? {
        elements.randomElement(using: &random)
    }
}

extension EmbeddedFleet {
    /// Whether `record` runs what `target` asks for: its image when `image` is given, else `target` itself.
    static func record(_ record: InstanceRecord, runs target: String, image: String?) -> Bool {
        image.map { record.image == $0 || record.image.hasPrefix($0 + "@") } ?? (record.revision == target)
    }

    /// Waits until `target` is what the fleet runs and nothing else: `replicas` live records, all serving
    /// `target`, exactly the instances that run, and the note on `target` saying converged.
    ///
    /// With `image`, an instance serves `target` when it runs that image: a commit that brings back the spec an
    /// earlier commit deployed keeps that commit's instances where they still serve (nothing is replaced for
    /// nothing), and their records keep naming the commit that started them. Without it, the records must name
    /// `target` itself.
    func waitUntilConverged(
        on target: String, image: String? = nil, replicas: Int, remote: GitFixture, log serve: ServeProcess,
        timeout: Duration = .seconds(120)
    ) async throws {
        try await waitUntil(
            "\(replicas) instances serve \(image ?? String(target.prefix(8)))", timeout: timeout, log: serve
        ) {
            records in
            let live = records.filter { $0.state.isLive }
            return live.count == replicas
                && live.allSatisfy { $0.state == .serving && Self.record($0, runs: target, image: image) }
        }
        let note = await remote.waitForNote(on: target, timeout: timeout) { $0.contains("\nresult: converged") }
        #expect(
            note?.contains("result: converged") == true, "no converged note on \(target): \(String(describing: note))")
        let live = Set(try await records().filter { $0.state.isLive }.map(\.id))
        let running = try await runningInstanceIDs()
        #expect(running == live, "running \(running.sorted()) but recorded live \(live.sorted())")
    }
}

/// A fleet that converged on `demo/web:1.0.0` under a real `gitfleet serve` (process runtime, SQLite, a bare remote
/// over file://, `demo/web:slow` installed), with an ``InvariantSampler`` watching it from then on.
/// ``run(_:replicas:maxSurge:_:)`` sets it up, runs the scenario, expects no violation in the whole run and stops
/// serve and every instance, whether the scenario passed or threw.
final class ChaosStage: @unchecked Sendable {
    let fleet: EmbeddedFleet
    let remote: GitFixture
    let invariants: FleetInvariants
    let sampler: InvariantSampler
    /// The running controller; a scenario that kills it starts the next one here.
    var serve: ServeProcess

    private init(fleet: EmbeddedFleet, remote: GitFixture, invariants: FleetInvariants) throws {
        self.fleet = fleet
        self.remote = remote
        self.invariants = invariants
        sampler = InvariantSampler(invariants, watching: fleet)
        serve = try ServeProcess(fleet: fleet, remote: remote)
    }

    /// The image each pushed commit names, by commit.
    private var images: [String: String] = [:]

    /// Commits and pushes `services/web.yaml` for `image`; returns the commit.
    func push(_ image: String) throws -> String {
        let commit = try fleet.commitWeb(image, replicas: invariants.replicas, maxSurge: invariants.maxSurge)
        try fleet.push()
        images[commit] = image
        return commit
    }

    /// Whether `record` serves what `target` asks for (``EmbeddedFleet/record(_:runs:image:)``).
    func serves(_ record: InstanceRecord, _ target: String) -> Bool {
        record.state == .serving && EmbeddedFleet.record(record, runs: target, image: images[target])
    }

    /// A scenario may push an image an earlier commit deployed, so the fleet has converged on `target` once every
    /// live instance runs its image, whichever commit started it.
    func waitUntilConverged(on target: String) async throws {
        try await fleet.waitUntilConverged(
            on: target, image: images[target], replicas: invariants.replicas, remote: remote, log: serve)
    }

    /// `label` and `chaos` (when the scenario draws from one) name the run in what it prints and in failures.
    static func run(
        _ label: String, chaos: ChaosSchedule? = nil, replicas: Int = 3, maxSurge: Int = 1,
        _ scenario: (ChaosStage) async throws -> Void
    ) async throws {
        let replay = chaos.map { ", \($0.replay)" } ?? ""
        print("\(label)\(replay)")
        let fleet = try EmbeddedFleet()
        let stage: ChaosStage
        let first: String
        do {
            let remote = try fleet.remote()
            try fleet.installSlowImage()
            let invariants = FleetInvariants(replicas: replicas, maxSurge: maxSurge)
            first = try fleet.commitWeb("demo/web:1.0.0", replicas: replicas, maxSurge: maxSurge)
            try fleet.push()
            stage = try ChaosStage(fleet: fleet, remote: remote, invariants: invariants)
            stage.images[first] = "demo/web:1.0.0"
        } catch {
            await fleet.tearDown()
            throw error
        }
        do {
            try await stage.waitUntilConverged(on: first)
            await stage.sampler.start()
            let started = ContinuousClock.now
            try await scenario(stage)
            let report = await stage.sampler.stop()
            print("\(label): \(ContinuousClock.now - started)\(replay): \(report)")
            #expect(report.violations.isEmpty && report.samples > 0, "\(label)\(replay): \(report)")
            if !report.violations.isEmpty { print("\(label): serve's log:\n\(stage.serve.log.suffix(20000))") }
        } catch {
            _ = await stage.sampler.stop()
            print("\(label) failed\(replay); serve's log:\n\(stage.serve.log.suffix(4000))")
            await stage.serve.stop()
            await fleet.tearDown()
            throw error
        }
        await stage.serve.stop()
        await fleet.tearDown()
    }
}
