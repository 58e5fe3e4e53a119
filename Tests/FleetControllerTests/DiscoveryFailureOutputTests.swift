import FleetController
import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// What a failed publication leaves: the reload command's output on the status (what a discovery agent reports),
/// and, with `restoresOnFailure` (the agent's), the files the last confirmed publication wrote.
@Suite("A failed publication keeps the reload's output, and restores the files when asked")
struct DiscoveryFailureOutputTests {
    static func set(port: Int) -> ServingSet {
        ServingSet(services: [
            "web": [
                ServingSet.Endpoint(
                    instance: "web-\(port)", address: "127.0.0.1", ports: ["http": port], specHash: "aaaa",
                    image: "demo/web:1")
            ]
        ])
    }

    @Test(
        "the output is kept while it fails and cleared once it works; the files are put back only when asked",
        arguments: [true, false])
    func failure(restores: Bool) async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-discovery")
        defer { directory.remove() }
        let path = directory.appending("upstreams.conf")
        let broken = directory.appending("broken")
        let reload = [
            "/bin/sh", "-c",
            "test ! -e '\(broken)' || { echo 'testing the file'; echo 'emerg: no such upstream' >&2; exit 1; }",
        ]
        let publisher = DiscoveryPublisher(
            configuration: DiscoveryPublisher.Configuration(
                outputs: [DiscoveryOutput(kind: .nginx, path: path)], reloadCommand: reload,
                retryDelay: .milliseconds(1), restoresOnFailure: restores))
        let first = await publisher.publish(Self.set(port: 8081))
        #expect(first == .confirmed)
        let good = try String(contentsOfFile: path, encoding: .utf8)

        FileManager.default.createFile(atPath: broken, contents: nil)
        guard case .waiting(let reason, _) = await publisher.publish(Self.set(port: 8082)) else {
            Issue.record("a failing reload must not confirm")
            return
        }
        #expect(reason.contains("exited 1: emerg: no such upstream"), "\(reason)")
        let output = await publisher.status.output ?? ""
        #expect(output.contains("testing the file") && output.contains("emerg: no such upstream"), "\(output)")
        let after = try String(contentsOfFile: path, encoding: .utf8)
        if restores {
            #expect(after == good, "the file the last confirmed publication wrote is put back")
        } else {
            #expect(after.contains("127.0.0.1:8082"), "the controller's own outputs keep the new set, as before")
        }

        try FileManager.default.removeItem(atPath: broken)
        try await Task.sleep(for: .milliseconds(20))
        let recovered = await publisher.publish(Self.set(port: 8082))
        #expect(recovered == .confirmed)
        #expect(await publisher.status.output == nil)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("127.0.0.1:8082"))
    }
}
