import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

/// `gitfleet logs` and `GET /api/v1/services/{name}/instances/{id}/logs` against a real `gitfleet serve`: a live
/// instance's output from the runtime, a quarantined one's from its registry record, locally and through the API.
@Suite("gitfleet logs against a running controller", .serialized)
struct LogsServerTests {
    @Test("logs prints a live instance's output and a quarantined one's kept output, locally and with --server")
    func liveAndKeptOutput() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let good = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let note = await remote.waitForNote(on: good) { $0.contains("\nresult: converged") }
            try #require(note?.contains("\nresult: converged") == true, "\(serve.log)")
            let server = "http://127.0.0.1:\(try await serve.port())"
            let local = ["--state-dir", fleet.stateDirectory]

            // A live instance: read from the runtime now.
            let live = try #require(try await Self.records(fleet).first { $0.state == .serving }, "\(serve.log)")
            #expect(live.keptOutput == nil)
            let liveLocally = try await BuiltProducts.gitfleet(["logs", "web", live.id] + local)
            #expect(liveLocally.status == 0, "\(liveLocally)")
            #expect(liveLocally.standardOutput.contains("gitfleet-demo 1.0.0 listening on"), "\(liveLocally)")
            let liveThroughServer = try await BuiltProducts.gitfleet(["logs", "web", live.id, "--server", server])
            #expect(liveThroughServer.standardOutput == liveLocally.standardOutput, "\(liveThroughServer)")
            let oneLine = try await serve.request("GET", "/api/v1/services/web/instances/\(live.id)/logs?tail=1")
            #expect(oneLine.status == 200)
            #expect(oneLine.body.split(separator: "\n").count == 1, "\(oneLine.body)")

            // An instance that never gets healthy is failed and quarantined with its output in its record.
            _ = try fleet.commitWeb("demo/web:broken", replicas: 1, progressDeadline: "30s")
            try fleet.push()
            let quarantined = try await Self.poll(timeout: .seconds(180)) {
                try await Self.records(fleet).first { $0.state == .quarantined && $0.keptOutput != nil }
            }
            let failed = try #require(quarantined, "\(serve.log)")
            #expect(failed.keptOutput?.contains("gitfleet-demo broken listening on") == true, "\(failed)")
            #expect((failed.keptOutput?.utf8.count ?? .max) <= InstanceRecord.keptOutputLimit)

            // Without the runtime's copy (a replica on another host has none) the record still answers.
            try FileManager.default.removeItem(atPath: "\(fleet.stateDirectory)/instances/\(failed.id)")
            let kept = try await BuiltProducts.gitfleet(["logs", "web", failed.id] + local)
            #expect(kept.status == 0, "\(kept)")
            #expect(kept.standardOutput.contains("gitfleet-demo broken listening on"), "\(kept)")
            let keptThroughServer = try await BuiltProducts.gitfleet(["logs", "web", failed.id, "--server", server])
            #expect(keptThroughServer.status == 0, "\(keptThroughServer)")
            #expect(keptThroughServer.standardOutput == kept.standardOutput, "\(keptThroughServer)")
            let route = try await serve.request("GET", "/api/v1/services/web/instances/\(failed.id)/logs")
            #expect(route.status == 200)
            #expect(route.body == kept.standardOutput)

            // Every instance, each line prefixed with its id.
            let all = try await BuiltProducts.gitfleet(["logs", "web", "--server", server])
            #expect(all.status == 0, "\(all)")
            #expect(all.standardOutput.contains("\(failed.id) gitfleet-demo broken listening on"), "\(all)")
            #expect(all.standardOutput.contains("\(live.id) gitfleet-demo 1.0.0 listening on"), "\(all)")
            let allLocally = try await BuiltProducts.gitfleet(["logs", "web"] + local)
            #expect(allLocally.standardOutput.contains("\(failed.id) gitfleet-demo broken listening on"))

            // What is missing is said, by the route and by both forms of the command.
            let noService = try await serve.request("GET", "/api/v1/services/nosuch/instances/x/logs")
            #expect(noService.status == 404 && noService.body.contains("\"service_not_found\""), "\(noService)")
            let noInstance = try await serve.request("GET", "/api/v1/services/web/instances/web-nosuch/logs")
            #expect(noInstance.status == 404 && noInstance.body.contains("\"instance_not_found\""), "\(noInstance)")
            let otherService = try await serve.request("GET", "/api/v1/services/api/instances/\(failed.id)/logs")
            #expect(otherService.status == 404, "\(otherService)")
            let badTail = try await serve.request("GET", "/api/v1/services/web/instances/\(failed.id)/logs?tail=0")
            #expect(badTail.status == 400 && badTail.body.contains("\"bad_tail\""), "\(badTail)")
            for arguments in [["logs", "web", "web-nosuch"], ["logs", "nosuch", "x"], ["logs", "nosuch"]] {
                let locally = try await BuiltProducts.gitfleet(arguments + local)
                let throughServer = try await BuiltProducts.gitfleet(arguments + ["--server", server])
                #expect(locally.status == 1, "\(locally)")
                #expect(throughServer.status == 1, "\(throughServer)")
                #expect(locally.standardError == throughServer.standardError, "\(locally)\n\(throughServer)")
            }
        }
    }

    @Test(
        "--server beside registry flags, and a tail out of range, are usage errors",
        arguments: [
            ["logs", "web", "--server", "http://127.0.0.1:9", "--state-dir", "/tmp/x"],
            ["logs", "web", "--tail", "0"],
            ["logs", "web", "--tail", "10001"],
        ])
    func usageErrors(_ arguments: [String]) async throws {
        let outcome = try await BuiltProducts.gitfleet(arguments)
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.standardOutput.isEmpty)
    }

    static func records(_ fleet: EmbeddedFleet) async throws -> [InstanceRecord] {
        let registry = try fleet.registry()
        do {
            let records = try await registry.instances(service: "web").map(\.record)
            try await registry.close()
            return records
        } catch {
            try? await registry.close()
            throw error
        }
    }

    static func poll<T>(timeout: Duration, _ found: () async throws -> T?) async throws -> T? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let value = try await found() { return value }
            try await Task.sleep(for: .milliseconds(500))
        }
        return nil
    }
}

@Suite("gitfleet logs against a shared etcd registry", .serialized)
struct EtcdLogsTests {
    @Test("A standby answers a quarantined instance's kept output from etcd, without the runtime's copy")
    func standbyAnswersKeptOutput() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let fleet = try EtcdFleet(etcd: etcd)
        let v1 = try fleet.fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.fleet.push()
        try await fleet.run(controllers: ["controller-a", "controller-b"]) { controllers in
            let (a, b) = (controllers[0], controllers[1])
            _ = await fleet.remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            _ = try fleet.fleet.commitWeb("demo/web:broken", replicas: 1, progressDeadline: "10s", startTimeout: "2s")
            try fleet.fleet.push()
            try await fleet.waitUntil("an instance is quarantined with its output", timeout: .seconds(120)) {
                $0.contains { $0.state == .quarantined && $0.keptOutput != nil }
            }
            let records = try await fleet.observer.instances(service: "web").map(\.record)
            let failed = try #require(records.first { $0.state == .quarantined && $0.keptOutput != nil })
            #expect(failed.keptOutput?.contains("gitfleet-demo broken listening on") == true, "\(a.log)")
            try await fleet.waitUntil("controller-b stands by", timeout: .seconds(30)) { _ in
                (try? await b.status()["role"] as? String) == "standby"
            }
            // The runtime's copy is gone, as on a standby's own host: only the registry holds the output.
            try FileManager.default.removeItem(atPath: "\(fleet.fleet.stateDirectory)/instances/\(failed.id)")

            let route = try await b.request("GET", "/api/v1/services/web/instances/\(failed.id)/logs")
            #expect(route.status == 200, "\(route)")
            #expect(route.body.contains("gitfleet-demo broken listening on"), "\(route.body)")
            let throughStandby = try await BuiltProducts.gitfleet([
                "logs", "web", failed.id, "--server", "http://127.0.0.1:\(try await b.port())",
            ])
            #expect(throughStandby.status == 0, "\(throughStandby)")
            #expect(throughStandby.standardOutput == route.body)
            let locally = try await BuiltProducts.gitfleet(
                ["logs", "web", failed.id],
                environment: [
                    "GITFLEET_REGISTRY": "etcd", "GITFLEET_ETCD_ENDPOINTS": etcd.clientURL,
                    "GITFLEET_ETCD_PREFIX": fleet.prefix, "GITFLEET_RUNTIME_DIR": fleet.fleet.stateDirectory,
                ])
            #expect(locally.status == 0, "\(locally)")
            #expect(locally.standardOutput == route.body, "\(locally)")
        }
    }
}
