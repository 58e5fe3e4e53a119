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
}
