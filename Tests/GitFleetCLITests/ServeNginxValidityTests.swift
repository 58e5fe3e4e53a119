import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet serve keeps a real nginx's configuration valid", .serialized)
struct ServeNginxValidityTests {
    /// What an operator starts nginx with before gitfleet has written anything: a stub with the upstreams the
    /// proxy configuration names.
    static let stub = """
        upstream gitfleet_web { server 127.0.0.1:9 down; }
        upstream gitfleet_api { server 127.0.0.1:9 down; }

        """

    static func statuses(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test(
        "from an empty registry, through removing a service and a restart, nginx accepts every output and every reload succeeds"
    )
    func everyReloadSucceeds() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let nginx = try await NginxServer(services: ["web", "api"], upstreams: Self.stub)
        defer { nginx.stop() }
        let statuses = fleet.repository.directory.appending("reload-statuses")
        let reload = try nginx.checkedReloadCommand(recordingTo: statuses)
        let reloadJSON = String(decoding: try JSONEncoder().encode(reload), as: UTF8.self)
        let extra = [
            "--discovery-outputs", "nginx:\(nginx.upstreamFile)", "--discovery-reload-command", reloadJSON,
        ]
        try fleet.repository.git.write(
            "services/api.yaml", FleetRepository.service("api", image: "demo/web:1.0.0", replicas: 1))
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote, extra: extra) { serve in
            let note = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            #expect(note?.contains("result: converged") == true, "\(serve.log)")
            var file = try String(contentsOfFile: nginx.upstreamFile, encoding: .utf8)
            #expect(
                file.contains("upstream gitfleet_api {\n    server 127.0.0.1:") && !file.contains("down"), "\(file)")
            // A reload starts new workers asynchronously; the old ones may answer with the old placeholder a
            // moment longer.
            var answer = try await LoopbackHTTP.get(port: nginx.port, path: "/", timeout: .seconds(5))
            let workersDeadline = ContinuousClock.now.advanced(by: .seconds(15))
            while answer.status != 200 && ContinuousClock.now < workersDeadline {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await LoopbackHTTP.get(port: nginx.port, path: "/", timeout: .seconds(5))
            }
            #expect(answer.status == 200, "nginx reaches web: \(answer)")
            #expect(!Self.statuses(statuses).isEmpty, "the reload command ran")
            #expect(Self.statuses(statuses).allSatisfy { $0 == "0" }, "nginx refused an output:\n\(nginx.checkLog)")

            try fleet.repository.git.remove("services/api.yaml")
            let v2 = try fleet.repository.git.commit("remove api")
            try fleet.push()
            let removal = await remote.waitForNote(on: v2) { $0.contains("\nresult: converged") }
            #expect(removal?.contains("result: converged") == true, "\(serve.log)")
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            while ContinuousClock.now < deadline, try await !fleet.records().filter({ $0.service == "api" }).isEmpty {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(try await fleet.records().filter { $0.service == "api" }.isEmpty, "\(serve.log)")
            file = try String(contentsOfFile: nginx.upstreamFile, encoding: .utf8)
            #expect(file.contains("upstream gitfleet_api {\n    server 127.0.0.1:9 down;"), "\(file)")
            #expect(Self.statuses(statuses).allSatisfy { $0 == "0" }, "nginx refused an output:\n\(nginx.checkLog)")
            let metrics = try await serve.request("GET", "/metrics")
            #expect(!metrics.body.contains("gitfleet_discovery_reloads_total{result=\"failed\"}"), "\(metrics.body)")
            #expect(metrics.body.contains("gitfleet_discovery_failing 0"), "\(metrics.body)")
            let ready = try await serve.request("GET", "/readyz")
            #expect(ready.status == 200, "\(ready.body)")
            #expect(await serve.stop(), "serve stops gracefully")

            // A restarted controller has never seen api, but finds its block in the file nginx still uses.
            let reloadsBefore = Self.statuses(statuses).count
            let restarted = try ServeProcess(fleet: fleet, remote: remote, extra: extra)
            do {
                let restartDeadline = ContinuousClock.now.advanced(by: .seconds(60))
                while ContinuousClock.now < restartDeadline, Self.statuses(statuses).count == reloadsBefore {
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(
                    Self.statuses(statuses).count > reloadsBefore,
                    "the restarted controller published\n\(restarted.log)")
                file = try String(contentsOfFile: nginx.upstreamFile, encoding: .utf8)
                #expect(file.contains("upstream gitfleet_api {\n    server 127.0.0.1:9 down;"), "\(file)")
                #expect(Self.statuses(statuses).allSatisfy { $0 == "0" }, "nginx refused an output:\n\(nginx.checkLog)")
                let after = try await LoopbackHTTP.get(port: nginx.port, path: "/", timeout: .seconds(5))
                #expect(after.status == 200, "nginx still reaches web: \(after)")
            } catch {
                await restarted.stop()
                throw error
            }
            await restarted.stop()
        }
    }
}
