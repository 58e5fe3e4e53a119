import FleetModel
import FleetPlanner
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet apply on the embedded default", .serialized)
struct ApplyCommandTests {
    @Test("v1 → v2 replaces all 3 with 3 serving at every moment; a v3 that never gets healthy fails and v2 stays")
    func deployReplaceAndFail() async throws {
        let fleet = try EmbeddedFleet()
        do {
            try await deployReplaceAndFail(fleet)
        } catch {
            await fleet.tearDown()
            throw error
        }
        await fleet.tearDown()
    }

    private func deployReplaceAndFail(_ fleet: EmbeddedFleet) async throws {
        try fleet.commitWeb("demo/web:1.0.0")
        let first = try await fleet.apply()
        #expect(first.status == 0, "\(first)")
        #expect(first.standardOutput.contains("converged"), "\(first)")

        // minReady keeps each new instance healthy-but-not-serving for a second, so the rollout lasts long
        // enough for the probe to watch it closely even on a loaded machine.
        let v2Commit = try fleet.commitWeb("demo/web:1.1.0", minReady: "1s")
        let registry = try fleet.registry()
        let probe = ServingProbe()
        let polling = Task { await probe.run(registry: registry, service: "web") }
        let apply = try fleet.startApply()
        while apply.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        await probe.stop()
        await polling.value
        #expect(apply.terminationStatus == 0)

        let v2 = try await fleet.records()
        #expect(v2.count == 3, "\(v2)")
        #expect(
            v2.allSatisfy {
                $0.state == .serving && $0.revision == v2Commit && $0.image.hasPrefix("demo/web:1.1.0@sha256:")
            })
        #expect(Set(v2.map(\.specHash)).count == 1)
        #expect(await probe.rounds >= 3, "the probe barely ran during the rollout")
        #expect(await probe.fewestAnswering >= 3, "fewer than 3 instances answered at some moment")
        let mismatches = await probe.mismatches
        #expect(mismatches.isEmpty, "answers from a process with another spec hash: \(mismatches)")
        #expect(Set(try await fleet.inventory().map(\.instanceID)) == Set(v2.map(\.id)), "an old process was left")

        // v3: the broken image never passes its health check.
        try fleet.commitWeb("demo/web:broken", progressDeadline: "10s", startTimeout: "3s")
        let third = try await fleet.apply()
        #expect(third.status == 1, "\(third)")
        #expect(third.standardError.contains("web: rolled-back"), "\(third)")
        #expect(third.standardError.contains("progressDeadline 10s"), "\(third)")
        #expect(third.standardError.contains("HTTP 500") || third.standardError.contains("500"), "\(third)")

        let after = try await fleet.records()
        let serving = after.filter { $0.state == .serving }
        #expect(serving.count == 3 && serving.allSatisfy { $0.revision == v2Commit }, "\(after)")
        let quarantined = after.filter { $0.state == .quarantined }
        #expect(!quarantined.isEmpty && quarantined.allSatisfy { $0.image.hasPrefix("demo/web:broken") })
        #expect(
            quarantined.allSatisfy {
                ($0.reason ?? "").contains("not healthy") || ($0.reason ?? "").contains("rollout failed")
            })

        // status shows the live registry, human and JSON.
        let status = try await BuiltProducts.gitfleet(["status", "--state-dir", fleet.stateDirectory])
        #expect(status.status == 0, "\(status)")
        #expect(status.standardOutput.contains("quarantined") && status.standardOutput.contains("serving"), "\(status)")
        let json = try await BuiltProducts.gitfleet(["status", "web", "--json", "--state-dir", fleet.stateDirectory])
        // The live-state document (docs/live-state.md), the one `plan --live` reads.
        let document = try LiveStateFile.decodeDocument(Data(json.standardOutput.utf8), file: "status --json")
        #expect(document.instances.count == after.count)

        // The failed spec is not retried by a later apply of the same commit.
        let again = try await fleet.apply()
        #expect(again.status == 1, "\(again)")
        #expect(try await fleet.records().count == after.count, "a failed spec was tried again")

        // Asked to retry, the next apply tries the failed spec again (and it fails again, still safely).
        let retry = try await BuiltProducts.gitfleet(["retry", "web", "--state-dir", fleet.stateDirectory])
        #expect(retry.status == 0, "\(retry)")
        #expect(retry.standardOutput.contains("will be tried again"), "\(retry)")
        let retried = try await fleet.apply()
        #expect(retried.status == 1, "\(retried)")
        let final = try await fleet.records()
        let newlyQuarantined = Set(final.filter { $0.state == .quarantined }.map(\.id)).subtracting(
            quarantined.map(\.id))
        #expect(!newlyQuarantined.isEmpty, "retry did not try the failed spec again")
        #expect(final.filter { $0.state == .serving }.count == 3)
    }
}

@Suite("gitfleet apply: scaling and removal", .serialized)
struct ApplyScalingTests {
    @Test("Scaling adds and removes instances without touching the others; a service removed from Git is drained")
    func scaleAndRemove() async throws {
        let fleet = try EmbeddedFleet()
        do {
            try fleet.repository.git.write(
                "fleet.yaml", "apiVersion: gitfleet/v1\nkind: Fleet\nmetadata: {name: test}\n")
            try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
            #expect(try await fleet.apply().status == 0)
            let before = Set(try await fleet.records().map(\.id))

            try fleet.commitWeb("demo/web:1.0.0", replicas: 4)
            #expect(try await fleet.apply().status == 0)
            let scaledUp = try await fleet.records()
            #expect(scaledUp.count == 4 && before.isSubset(of: Set(scaledUp.map(\.id))), "scale-up replaced instances")

            try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
            #expect(try await fleet.apply().status == 0)
            let scaledDown = try await fleet.records()
            #expect(scaledDown.count == 1 && Set(scaledUp.map(\.id)).isSuperset(of: scaledDown.map(\.id)))
            #expect(try await fleet.inventory().count == 1)

            try fleet.repository.git.remove("services/web.yaml")
            _ = try fleet.repository.git.commit("retire web")
            let removal = try await fleet.apply()
            #expect(removal.status == 0, "\(removal)")
            #expect(try await fleet.records().isEmpty)
            #expect(try await fleet.inventory().isEmpty, "a process of the removed service is still there")
        } catch {
            await fleet.tearDown()
            throw error
        }
        await fleet.tearDown()
    }
}

@Suite("gitfleet apply publishes discovery outputs", .serialized)
struct ApplyDiscoveryTests {
    @Test("apply writes the serving set to the nginx file and runs the reload command; a bad output is refused")
    func applyPublishes() async throws {
        let fleet = try EmbeddedFleet()
        do {
            let output = fleet.repository.directory.appending("upstreams.conf")
            let reloaded = fleet.repository.directory.appending("reloaded")
            try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
            let outcome = try await fleet.apply([
                "--discovery-outputs", "nginx:\(output)", "--discovery-reload-command",
                #"["/usr/bin/touch", "\#(reloaded)"]"#,
            ])
            #expect(outcome.status == 0, "\(outcome)")
            let file = try String(contentsOfFile: output, encoding: .utf8)
            let serving = try await fleet.records().filter { $0.state == .serving }
            #expect(serving.count == 2)
            for record in serving { #expect(file.contains("# \(record.id)"), "\(file)") }
            #expect(FileManager.default.fileExists(atPath: reloaded), "the reload command did not run")

            let refused = try await fleet.apply(["--discovery-outputs", "apache:/etc/apache2/x.conf"])
            #expect(refused.status != 0)
            #expect(
                refused.standardError.contains("'apache:/etc/apache2/x.conf' is not a discovery output"), "\(refused)")
        } catch {
            await fleet.tearDown()
            throw error
        }
        await fleet.tearDown()
    }
}
