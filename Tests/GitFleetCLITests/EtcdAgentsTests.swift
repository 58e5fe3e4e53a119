import Foundation
import GitFleetTesting
import Testing

/// Discovery agents' reports on `gitfleet serve` replicas sharing etcd: every replica keeps them, so the one that
/// takes over already knows the agents.
@Suite("gitfleet serve on etcd: agents report to every replica", .serialized)
struct EtcdAgentsTests {
    static func agents(_ controller: ServeProcess) async throws -> [String: Any] {
        let (status, body) = try await controller.request("GET", "/api/v1/agents")
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        else { throw FixtureError("GET /api/v1/agents answered \(status): \(body)") }
        return object
    }

    static func discoveryRole(_ controller: ServeProcess) async throws -> String? {
        let (status, body) = try await controller.request("GET", "/api/v1/discovery")
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        else { throw FixtureError("GET /api/v1/discovery answered \(status): \(body)") }
        return object["role"] as? String
    }

    @Test("a standby accepts and lists reports without a publication of its own; once it leads it knows the agent")
    func standbyKeepsReports() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let fleet = try EtcdFleet(etcd: etcd)
        let v1 = try fleet.fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.fleet.push()
        try await fleet.run(controllers: ["controller-a", "controller-b"]) { controllers in
            let (a, b) = (controllers[0], controllers[1])
            _ = await fleet.remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            #expect(try await b.status()["role"] as? String == "standby", "\(b.log)")
            let report = try JSONSerialization.data(withJSONObject: ["index": "\"0123\"", "version": "test"])
            for controller in [a, b] {
                let posted = try await controller.request(
                    "POST", "/api/v1/agents/lb-1", body: report, headers: ["Content-Type": "application/json"])
                #expect(posted.status == 204, "\(posted)")
            }
            let onStandby = try await Self.agents(b)
            #expect(onStandby["published"] == nil, "a standby publishes nothing: \(onStandby)")
            let listed = try #require(onStandby["agents"] as? [[String: Any]])
            #expect(listed.first?["name"] as? String == "lb-1" && listed.first?["index"] as? String == "\"0123\"")
            #expect(try await Self.agents(a)["published"] is String)
            // Discovery says which replica answered, so an agent on the standby can find the leader.
            #expect(try await Self.discoveryRole(a) == "leader")
            #expect(try await Self.discoveryRole(b) == "standby")

            a.killAbruptly()
            try await fleet.waitUntil("the standby leads", timeout: .seconds(30)) { _ in
                (try? await b.status()["role"] as? String) == "leader"
            }
            try await fleet.waitUntil("the new leader says what it published", timeout: .seconds(30)) { _ in
                (try? await Self.agents(b)["published"]) is String
            }
            #expect(try await Self.discoveryRole(b) == "leader")
            let onLeader = try await Self.agents(b)
            #expect((onLeader["agents"] as? [[String: Any]])?.first?["name"] as? String == "lb-1", "\(onLeader)")
        }
    }
}
