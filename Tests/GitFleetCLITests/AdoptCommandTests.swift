import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet adopt: rebuilding a lost registry from the runtime", .serialized)
struct AdoptCommandTests {
    @Test("After the registry is lost, adopt records the running instances and apply keeps them, replacing none")
    func lostRegistryIsRebuilt() async throws {
        let fleet = try EmbeddedFleet()
        do {
            try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
            let first = try await fleet.apply()
            #expect(first.status == 0, "\(first)")
            let running = Set(try await fleet.inventory().filter(\.status.isRunning).map(\.instanceID))
            #expect(running.count == 2)

            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: "\(fleet.stateDirectory)/registry.sqlite\(suffix)")
            }
            let preview = try await BuiltProducts.gitfleet(
                ["adopt", "--state-dir", fleet.stateDirectory, "--dry-run"])
            #expect(preview.status == 0, "\(preview)")
            #expect(preview.standardOutput.contains("2 instance(s) of 1 service(s) would be recorded"), "\(preview)")
            #expect(try await fleet.records().isEmpty, "a dry run records nothing")

            let adopt = try await BuiltProducts.gitfleet(["adopt", "--state-dir", fleet.stateDirectory])
            #expect(adopt.status == 0, "\(adopt)")
            let records = try await fleet.records()
            #expect(Set(records.map(\.id)) == running)
            #expect(records.allSatisfy { $0.state == .starting && $0.address != nil && $0.ports["http"] != nil })

            // The desired spec is unchanged, so the adopted instances are probed and served again, not replaced.
            let again = try await fleet.apply()
            #expect(again.status == 0, "\(again)")
            let after = try await fleet.records()
            #expect(Set(after.map(\.id)) == running, "an adopted instance was replaced: \(after.map(\.id))")
            #expect(after.allSatisfy { $0.state == .serving })
            let stillRunning = Set(try await fleet.inventory().filter(\.status.isRunning).map(\.instanceID))
            #expect(stillRunning == running)

            let nothingLeft = try await BuiltProducts.gitfleet(["adopt", "--state-dir", fleet.stateDirectory])
            #expect(nothingLeft.standardOutput.contains("0 instance(s) of 0 service(s) were recorded"))
        } catch {
            await fleet.tearDown()
            throw error
        }
        await fleet.tearDown()
    }

    @Test("With etcd, adopt refuses to write while a controller leads")
    func refusesBesideALeader() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        _ = try await etcd.put("/fleet/leader", "controller-a")
        let adopt = try await BuiltProducts.gitfleet(
            ["adopt"],
            environment: [
                "GITFLEET_REGISTRY": "etcd", "GITFLEET_ETCD_ENDPOINTS": etcd.clientURL,
                "GITFLEET_ETCD_PREFIX": "/fleet",
                "GITFLEET_RUNTIME_DIR": NSTemporaryDirectory() + "gitfleet-adopt-\(UUID())",
            ])
        #expect(adopt.status == 1, "\(adopt)")
        #expect(adopt.standardError.contains("a controller leads this fleet ('controller-a')"), "\(adopt)")
    }
}
