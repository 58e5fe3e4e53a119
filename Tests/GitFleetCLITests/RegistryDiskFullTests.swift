import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// The SQLite registry's disk fills up in the middle of a rollout: the state folder (registry, repository
/// cache) lives on a small tmpfs of its own, filled to the last byte, then emptied. The process runtime's
/// folder stays on the ordinary disk, so only the registry's writes fail.
@Suite("gitfleet serve: the registry's disk is full mid-rollout, then has space again", .serialized)
struct RegistryDiskFullTests {
    @Test("No crash, no lost or corrupted record, no leaked instance; the rollout finishes once there is space")
    func diskFullMidRollout() async throws {
        let disk = try SmallFilesystem(size: "16m")
        defer { disk.unmount() }
        var onDisk = try EmbeddedFleet()
        let stateDirectory = disk.appending("state")
        // The controller's registry is the SQLite file on the small disk: its runtime scope follows it.
        onDisk.scope = RuntimeScope.derived(
            fromRegistry: ControllerConfiguration.embeddedRegistryIdentity(stateDirectory: stateDirectory))
        let fleet = onDisk
        let observed = SQLiteStateFleet(stateDirectory: stateDirectory, scope: fleet.scope)
        let remote = try fleet.remote()
        let v1 = try ChaosRollout.prepare(fleet, remote: remote)
        try await fleet.withServe(
            remote, stateDirectory: stateDirectory, extra: ["--runtime-dir", fleet.stateDirectory]
        ) { serve in
            let rollout = try await ChaosRollout.start(
                fleet, remote: remote, from: v1, serve: serve, records: observed.records)
            let sampler = InvariantSampler(ChaosRollout.invariants, watching: observed, converged: true)
            await sampler.start()

            let filled = try disk.fill()
            let records = try await observed.records()
            try await Task.sleep(for: .seconds(6))
            #expect(serve.process.isRunning, "serve died on a full disk:\n\(serve.log)")
            #expect(
                serve.log.contains("disk is full") || serve.log.contains("No space left"),
                "the log never said the disk was full:\n\(serve.log)")
            // A refused write changed nothing: every record of the moment the disk filled is still there.
            let whileFull = try await observed.records()
            #expect(
                Set(records.map(\.id)).subtracting(whileFull.map(\.id)).isEmpty,
                "records lost with the disk full: \(records.map(\.id)) then \(whileFull.map(\.id))")

            disk.free()
            let (recovered, report) = await rollout.expectRecovery(sampler, after: "space came back", serve: serve)
            print("registry disk full for 6 s (\(filled) bytes filled): \(report); converged \(recovered) after")
            let integrity = try await BuiltProducts.run(
                "/usr/bin/sqlite3", ["\(stateDirectory)/\(SQLiteRegistry.fileName)", "PRAGMA integrity_check"])
            #expect(integrity.standardOutput == "ok\n", "the registry file is damaged: \(integrity)")
            try await rollout.expectConverged(observed)
        }
    }
}
