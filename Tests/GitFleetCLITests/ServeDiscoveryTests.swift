import FleetModel
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet serve publishes discovery outputs", .serialized)
struct ServeDiscoveryTests {
    static func canaryWeb(_ image: String, startTimeout: String = "10s") -> String {
        FleetRepository.service("web", image: image, replicas: 2, startTimeout: startTimeout).replacingOccurrences(
            of: "rollout: {", with: "rollout: {strategy: canary, steps: [{weight: 50, pause: 1s}], ")
    }

    @Test(
        "the serving set reaches the nginx file and the HTTP endpoint; a failing canary rolls back and its note says so"
    )
    func discoveryAndFailedCanary() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let output = fleet.repository.directory.appending("upstreams.conf")
        try fleet.repository.git.write("services/web.yaml", Self.canaryWeb("demo/web:1.0.0"))
        let v1 = try fleet.repository.git.commit("web 1.0.0, canary")
        try fleet.push()
        try await fleet.withServe(
            remote, extra: ["--discovery-outputs", "nginx:\(output)", "--discovery-reload-command", "/bin/true"]
        ) { serve in
            let first = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            #expect(first?.contains("result: converged") == true, "\(serve.log)")
            let serving = try await fleet.records().filter { $0.state == .serving }
            #expect(serving.count == 2)
            let file = try String(contentsOfFile: output, encoding: .utf8)
            for record in serving {
                #expect(
                    file.contains("server 127.0.0.1:\(record.ports["http"] ?? -1) weight=1; # \(record.id)"), "\(file)")
            }
            let discovery = try await serve.request("GET", "/api/v1/discovery")
            #expect(discovery.status == 200)
            for record in serving { #expect(discovery.body.contains(record.id), "\(discovery.body)") }
            let status = try await serve.request("GET", "/api/v1/status")
            #expect(status.body.contains("\"failing\":false"), "\(status.body)")

            try fleet.repository.git.write("services/web.yaml", Self.canaryWeb("demo/web:broken", startTimeout: "2s"))
            let broken = try fleet.repository.git.commit("web broken, canary")
            try fleet.push()
            let note = await remote.waitForNote(on: broken) { $0.contains("\nresult: rolled-back") }
            let text = try #require(note, "\(serve.log)")
            #expect(text.contains("result: rolled-back"), "\(text)")
            #expect(text.contains("canary failed at step 1 of 2 (weight 50%)"), "\(text)")
            let after = try await fleet.records().filter { $0.state == .serving }
            #expect(Set(after.map(\.id)) == Set(serving.map(\.id)), "the old instances should still serve")
        }
    }

    @Test(
        "a reload command that fails holds the rollout with the old instances serving, shows in readiness, status and metrics, and the rollout proceeds once it works"
    )
    func failingReloadIsReported() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let output = fleet.repository.directory.appending("upstreams.conf")
        let broken = fleet.repository.directory.appending("reload-broken")
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(
            remote,
            extra: [
                "--discovery-outputs", "nginx:\(output)", "--discovery-reload-command", "/usr/bin/test ! -e \(broken)",
            ]
        ) { serve in
            _ = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let old = try await fleet.records().filter { $0.state == .serving }
            #expect(old.count == 2, "\(serve.log)")

            FileManager.default.createFile(atPath: broken, contents: nil)
            let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 2, progressDeadline: "10s")
            try fleet.push()
            var readiness = (status: 0, body: "")
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            while ContinuousClock.now < deadline {
                readiness = try await serve.request("GET", "/readyz")
                if readiness.body.contains("discovery:") { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(readiness.status == 503 && readiness.body.contains("reload command"), "\(readiness)\n\(serve.log)")
            // Past the progress deadline: the rollout waits instead of failing.
            try await Task.sleep(for: .seconds(11))
            let status = try await serve.request("GET", "/api/v1/status")
            #expect(status.body.contains("\"failing\":true"), "\(status.body)")
            let metrics = try await serve.request("GET", "/metrics")
            #expect(metrics.body.contains("gitfleet_discovery_failing 1"), "\(metrics.body)")
            let during = try await fleet.records()
            #expect(old.allSatisfy { record in during.contains { $0.id == record.id && $0.state == .serving } })
            #expect(remote.gitfleetNote(on: v2)?.contains("result: rolled-back") != true)

            try FileManager.default.removeItem(atPath: broken)
            let note = await remote.waitForNote(on: v2) { $0.contains("\nresult: converged") }
            #expect(note?.contains("result: converged") == true, "\(serve.log)")
            let after = try await serve.request("GET", "/metrics")
            #expect(after.body.contains("gitfleet_discovery_failing 0"), "\(after.body)")
        }
    }
}
