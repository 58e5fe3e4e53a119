import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// Kills a real controller with SIGKILL at every numbered crash point of a rollout (the gaps between
/// journaled steps: after a record is written and before the runtime acts, after the runtime acted
/// and before the record says so, …) and restarts it, checking ``FleetInvariants`` after each kill, after
/// each recovery and all along while the applies run.
@Suite("Crash safety of apply", .serialized)
struct CrashRecoveryTests {
    static let replicas = 3
    static let maxSurge = 1

    @Test("Killed at 24 different points of a rollout, a restarted apply converges with nothing leaked or duplicated")
    func killAndRecover() async throws {
        let fleet = try EmbeddedFleet()
        do {
            let killed = try await killAndRecover(
                fleet, replicas: Self.replicas, maxSurge: Self.maxSurge, points: 1...24)
            #expect(killed.count >= 20, "only \(killed.count) crash points were reached: \(killed)")
        } catch {
            await fleet.tearDown()
            throw error
        }
        await fleet.tearDown()
    }

    /// With maxSurge 3 a whole wave of 3 is one step: its `pending` records are one commit, its starts run
    /// together and its `starting` records are one commit; so are its retires, stops and destroys. A kill between
    /// the starts (or stops, or destroys) of one wave leaves some done and some not.
    @Test("Killed inside a wave of 3 (between its starts, stops and destroys), a restarted apply converges")
    func killInsideWave() async throws {
        let fleet = try EmbeddedFleet()
        do {
            let killed = try await killAndRecover(fleet, replicas: 3, maxSurge: 3, points: 1...16)
            let names = killed.map(\.name)
            for step in ["instance started", "instance stopped", "instance destroyed"] {
                #expect(
                    names.filter { $0 == step }.count >= 2,
                    "no kill between two '\(step)' points of one wave: \(killed)")
            }
            #expect(names.contains("instances recorded pending") && names.contains("instances recorded starting"))
        } catch {
            await fleet.tearDown()
            throw error
        }
        await fleet.tearDown()
    }

    /// Rolls out v1 and v2 alternately, killing each round at its point and recovering; returns the points that
    /// killed with the name the controller gave them.
    private func killAndRecover(
        _ fleet: EmbeddedFleet, replicas: Int, maxSurge: Int, points: ClosedRange<Int>
    ) async throws -> [(point: Int, name: String)] {
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: replicas, maxSurge: maxSurge)
        let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: replicas, maxSurge: maxSurge)
        let converged = try await fleet.apply(["--rev", v1])
        try #require(converged.status == 0, "\(converged)")
        let invariants = FleetInvariants(replicas: replicas, maxSurge: maxSurge)
        // Also checked while each apply runs, not only between them.
        let sampler = InvariantSampler(invariants, watching: fleet, converged: true)
        await sampler.start()

        var killed: [(point: Int, name: String)] = []
        do {
            // Each round rolls out the other version, so every round is a full replacement.
            for point in points {
                let target = point.isMultiple(of: 2) ? v1 : v2
                let crashed = try await fleet.apply(["--rev", target], environment: ["GITFLEET_CRASH_AT": "\(point)"])
                if crashed.signaled && crashed.status == SIGKILL {
                    killed.append((point, Self.crashPointName(in: crashed.standardError)))
                } else {
                    #expect(crashed.status == 0, "point \(point): neither killed nor converged: \(crashed)")
                }
                try await invariants.check(fleet, after: "the kill at point \(point)")

                let recovered = try await fleet.apply(["--rev", target])
                #expect(recovered.status == 0, "point \(point): recovery did not converge: \(recovered)")
                try await invariants.check(fleet, after: "recovery from point \(point)")
                let records = try await fleet.records().filter { $0.state.isLive }
                #expect(records.count == replicas, "point \(point): \(records.count) live records after recovery")
                #expect(
                    records.allSatisfy { $0.state == .serving && $0.revision == target },
                    "point \(point): not every instance serves the target after recovery: \(records)")
            }
        } catch {
            _ = await sampler.stop()
            throw error
        }
        let report = await sampler.stop()
        #expect(report.violations.isEmpty && report.samples > 0, "while the applies ran: \(report)")
        return killed
    }

    /// The name in `gitfleet: crash point N (name)`, which the controller writes just before it is killed.
    private static func crashPointName(in standardError: String) -> String {
        guard let line = standardError.split(separator: "\n").last(where: { $0.contains("crash point") }),
            let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")"), open < close
        else { return "" }
        return String(line[line.index(after: open)..<close])
    }
}
