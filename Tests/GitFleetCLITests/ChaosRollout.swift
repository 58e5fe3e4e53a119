import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// The rollout every chaos scenario strikes: 3 replicas of v1 converged, then v2 (maxSurge 1, maxUnavailable 0,
/// `minReady` 1s, so each wave takes a second or two) until its first instance serves while v1's still do.
struct ChaosRollout {
    static let replicas = 3
    static let maxSurge = 1

    let fleet: EmbeddedFleet
    let remote: GitFixture
    let from: String
    let to: String

    /// Commits v1 and pushes it; `to` is committed by ``strike(serve:records:)``.
    static func prepare(
        _ fleet: EmbeddedFleet, remote: GitFixture, image: String = "demo/web:1.0.0", progressDeadline: String = "60s"
    ) throws -> String {
        let v1 = try fleet.commitWeb(
            image, replicas: replicas, progressDeadline: progressDeadline, minReady: "1s", maxSurge: maxSurge)
        try fleet.push()
        return v1
    }

    /// Waits for v1's note to say converged, commits and pushes v2, and returns once v2's first instance serves
    /// beside v1's: the moment a scenario strikes.
    static func start(
        _ fleet: EmbeddedFleet, remote: GitFixture, from v1: String, image: String = "demo/web:1.1.0",
        progressDeadline: String = "60s", serve: ServeProcess, records: () async throws -> [InstanceRecord]
    ) async throws -> ChaosRollout {
        let converged = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
        try #require(converged != nil, "v1 did not converge:\n\(serve.log)")
        let v2 = try fleet.commitWeb(
            image, replicas: replicas, progressDeadline: progressDeadline, minReady: "1s", maxSurge: maxSurge)
        try fleet.push()
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while ContinuousClock.now < deadline {
            let now = (try? await records()) ?? []
            if now.contains(where: { $0.revision == v2 && $0.state == .serving })
                && now.contains(where: { $0.revision == v1 && $0.state == .serving })
            {
                return ChaosRollout(fleet: fleet, remote: remote, from: v1, to: v2)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("v2's first instance never served beside v1's:\n\(serve.log)")
    }

    /// The invariants of this rollout (maxUnavailable 0), for an ``InvariantSampler`` started once v1 converged.
    static let invariants = FleetInvariants(replicas: replicas, maxSurge: maxSurge)

    /// Waits until the note on v2 says anything but in-progress, or `timeout` passes; returns that note (nil on
    /// timeout).
    func settled(timeout: Duration = .seconds(90)) async -> String? {
        await remote.waitForNote(on: to, timeout: timeout) {
            $0.contains("\nresult: ") && !$0.contains("\nresult: in-progress")
        }
    }

    /// The recovery once the chaos is over: waits for v2 to settle, stops `sampler`, and expects the note to say
    /// converged and the sampler to have seen no violation all along; returns how long it took and the report.
    func expectRecovery(
        _ sampler: InvariantSampler, after chaos: String, serve: ServeProcess,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async -> (took: Duration, report: InvariantSampler.Report) {
        let begun = ContinuousClock.now
        let note = await settled()
        let took = ContinuousClock.now - begun
        let report = await sampler.stop()
        #expect(
            note?.contains("\nresult: converged") == true,
            "the rollout did not converge after \(chaos): \(note ?? "no note")\n\(serve.log)",
            sourceLocation: sourceLocation)
        #expect(report.violations.isEmpty, "\(report)", sourceLocation: sourceLocation)
        return (took, report)
    }

    /// Exactly the replicas of v2 live, all serving, and exactly those running: nothing leaked, lost or duplicated.
    func expectConverged(_ fleet: some ObservedFleet, sourceLocation: Testing.SourceLocation = #_sourceLocation)
        async throws
    {
        let live = try await fleet.records().filter { $0.state.isLive }
        #expect(
            live.count == Self.replicas && live.allSatisfy { $0.revision == to && $0.state == .serving },
            "not exactly \(Self.replicas) serving the target: \(live.map { "\($0.id) \($0.state)" })",
            sourceLocation: sourceLocation)
        let running = try await fleet.runningInstanceIDs()
        #expect(
            running == Set(live.map(\.id)), "a leaked or lost instance: running \(running.sorted())",
            sourceLocation: sourceLocation)
    }
}
