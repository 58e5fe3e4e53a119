import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// `gitfleet serve` with a required discovery agent, whose reports a stand-in posts over HTTP as `gitfleet agent`
/// does: the wiring of the roster into the controller, its server, readiness, status, metrics and events. (The
/// real agent's end-to-end tests run `gitfleet agent` in front of nginx.)
@Suite("gitfleet serve waits for its required discovery agents", .serialized)
struct ServeAgentsTests {
    /// Posts `lb-1`'s report every 300 ms: the index `GET /api/v1/discovery` shows while it follows, the last one
    /// it showed while it lags, nothing while it is silent.
    actor StandInAgent {
        enum Mode { case following, lagging, silent }
        let serve: ServeProcess
        private var mode = Mode.following
        private var shown: String?
        private var task: Task<Void, Never>?

        init(serve: ServeProcess) { self.serve = serve }

        func start() {
            task = Task {
                while !Task.isCancelled {
                    await self.report()
                    try? await Task.sleep(for: .milliseconds(300))
                }
            }
        }

        func set(_ mode: Mode) { self.mode = mode }
        func stop() { task?.cancel() }

        private func report() async {
            if mode == .silent { return }
            if mode == .following || shown == nil,
                let answer = try? await serve.request("GET", "/api/v1/discovery"),
                let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            {
                shown = object["index"] as? String
            }
            let body = try! JSONSerialization.data(withJSONObject: [
                "index": shown ?? "", "version": "test", "following": "http://127.0.0.1",
            ])
            _ = try? await serve.request(
                "POST", "/api/v1/agents/lb-1", body: body, headers: ["Content-Type": "application/json"])
        }
    }

    /// Polls `path` until `condition` holds on its body (or 60 s pass) and returns the last answer.
    static func poll(_ serve: ServeProcess, _ path: String, _ condition: (String) -> Bool) async throws
        -> (status: Int, body: String)
    {
        var answer = (status: 0, body: "")
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while ContinuousClock.now < deadline {
            answer = try await serve.request("GET", path)
            if condition(answer.body) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        return answer
    }

    @Test(
        "a lagging required agent holds the old instances, and readiness, status, gitfleet status, metrics and events name it; its report lets the rollout finish"
    )
    func requiredAgent() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote, extra: ["--required-agents", "lb-1", "--agent-timeout", "3s"]) { serve in
            let unknown = try await Self.poll(serve, "/readyz") { $0.contains("agent lb-1: no report yet") }
            #expect(unknown.status == 503 && unknown.body.contains("agent lb-1: no report yet"), "\(serve.log)")

            let agent = StandInAgent(serve: serve)
            await agent.start()
            defer { Task { await agent.stop() } }
            let first = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            #expect(first?.contains("result: converged") == true, "\(serve.log)")
            let ready = try await Self.poll(serve, "/readyz") { !$0.contains("agent lb-1") }
            #expect(ready.status == 200, "\(ready.body)")
            let old = try await fleet.records().filter { $0.state == .serving }
            #expect(old.count == 2)

            await agent.set(.lagging)
            let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 2, progressDeadline: "10s")
            try fleet.push()
            let behind = try await Self.poll(serve, "/readyz") { $0.contains("agent lb-1: behind") }
            #expect(
                behind.status == 503 && behind.body.contains("agent lb-1: behind (index "),
                "\(behind.body)\n\(serve.log)")
            // Past the progress deadline: held by the agent, not failed.
            try await Task.sleep(for: .seconds(12))
            let held = try await fleet.records()
            #expect(
                old.allSatisfy { record in held.contains { $0.id == record.id && $0.state == .serving } },
                "\(held.map { ($0.id, $0.state) })")
            #expect(!held.contains { $0.state == .draining })
            #expect(remote.gitfleetNote(on: v2)?.contains("result: rolled-back") != true)

            let status = try await serve.request("GET", "/api/v1/status")
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any])
            let discovery = try #require(document["discovery"] as? [String: Any], "\(status.body)")
            #expect(discovery["waitingAgents"] as? [String] == ["lb-1"], "\(status.body)")
            let agents = try #require(document["agents"] as? [[String: Any]], "\(status.body)")
            #expect(agents.first?["name"] as? String == "lb-1" && agents.first?["state"] as? String == "behind")
            let listed = try await serve.request("GET", "/api/v1/agents")
            #expect(listed.body.contains(#""published":"#) && listed.body.contains(#""state":"behind""#), "\(listed)")
            let metrics = try await serve.request("GET", "/metrics")
            #expect(metrics.body.contains("gitfleet_discovery_waiting_agents 1"), "\(metrics.body)")
            #expect(metrics.body.contains(#"gitfleet_agent_current{agent="lb-1"} 0"#), "\(metrics.body)")
            let printed = try await BuiltProducts.gitfleet([
                "status", "--server", "http://127.0.0.1:\(try await serve.port())",
            ])
            #expect(printed.standardOutput.contains("agent lb-1 (required): behind, index "), "\(printed)")

            await agent.set(.following)
            let second = await remote.waitForNote(on: v2) { $0.contains("\nresult: converged") }
            #expect(second?.contains("result: converged") == true, "\(serve.log)")
            let after = try await fleet.records()
            #expect(after.count == 2 && after.allSatisfy { $0.state == .serving && !old.map(\.id).contains($0.id) })

            await agent.set(.silent)
            let silent = try await Self.poll(serve, "/api/v1/events") { $0.contains(#""state":"silent""#) }
            #expect(silent.body.contains(#""type":"agent-failing""#), "\(silent.body)")
            await agent.set(.following)
            let recovered = try await Self.poll(serve, "/api/v1/events") { $0.contains("agent-recovered") }
            #expect(recovered.body.contains(#""agent":"lb-1""#), "\(recovered.body)")
        }
    }
}
