import Crypto
import FleetController
import FleetModel
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet serve reports outcomes as commit statuses and signed webhooks", .serialized)
struct ServeNotificationsTests {
    /// The GitHub statuses posted for `commit`, in order.
    static func statuses(_ server: RecordingHTTPServer, _ commit: String) -> [[String: String]] {
        server.requests.filter { $0.target.hasSuffix("/statuses/\(commit)") }.compactMap { request in
            try? JSONDecoder().decode([String: String].self, from: Data(request.body))
        }
    }

    /// The GitHub status states posted for `commit`, in order.
    static func states(_ server: RecordingHTTPServer, _ commit: String) -> [String] {
        statuses(server, commit).compactMap { $0["state"] }
    }

    /// The states of the GitHub deployment made for `commit`, in order.
    static func deploymentStates(_ server: RecordingHTTPServer, _ commit: String) -> [String] {
        server.requests.filter { $0.target.hasSuffix("/deployments/\(Int(commit.prefix(6), radix: 16)!)/statuses") }
            .compactMap { (try? JSONDecoder().decode([String: String].self, from: Data($0.body)))?["state"] }
    }

    /// The `deployment-finished` webhook about `commit`, once it came.
    static func finished(_ server: RecordingHTTPServer, _ commit: String) -> FleetEvent? {
        webhooks(server, commit, key: "hook-key").first { $0.type == .deploymentFinished }
    }

    /// The webhook deliveries about `commit`, each checked against its signature.
    static func webhooks(_ server: RecordingHTTPServer, _ commit: String, key: String) -> [FleetEvent] {
        server.requests.filter { $0.target == "/hooks" }.compactMap { request in
            let mac = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Array(key.utf8)))
            guard request.headers["x-gitfleet-signature"] == "sha256=\(Hex.lowercase(mac))",
                let event = try? FleetEvent.decoder().decode(FleetEvent.self, from: Data(request.body)),
                request.headers["x-gitfleet-delivery"] == "\(event.id)", event.commit == commit
            else { return nil }
            return event
        }
    }

    static func poll(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
    }

    @Test(
        "a commit's status follows its deployment: pending → success for a good or an unchanged commit, pending → failure for a two-service commit one of whose services rolls back, each with a signed webhook"
    )
    func statusesAndWebhooks() async throws {
        // A new GitHub deployment's id: the first 6 hex digits of its commit, so each commit's statuses are told apart.
        let server = try await RecordingHTTPServer.start(
            status: { request, _ in request.target == "/refusing" ? 401 : 201 },
            body: { request in
                guard request.target.hasSuffix("/deployments"),
                    let ref = (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["ref"]
                        as? String
                else { return "{}" }
                return #"{"id": \#(Int(ref.prefix(6), radix: 16) ?? 0)}"#
            })
        defer { Task { await server.close() } }
        let fleet = try EmbeddedFleet()
        let secrets = try TemporaryDirectory()
        try "ghp_e2e\n".write(toFile: secrets.path + "/github", atomically: true, encoding: .utf8)
        try "hook-key\n".write(toFile: secrets.path + "/hook", atomically: true, encoding: .utf8)
        let targets =
            "github repo=acme/fleet api=\(server.url) secretFile=\(secrets.path)/github deployments=production,"
            + "webhook url=\(server.url)/hooks secretFile=\(secrets.path)/hook,"
            + "webhook url=http://localhost:\(server.port)/refusing secretFile=\(secrets.path)/hook events=commit-admitted"
        let remote = try fleet.remote()
        let good = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        try await fleet.withServe(remote, extra: ["--notifications", targets]) { serve in
            try await Self.poll { Self.states(server, good).last == "success" }
            #expect(Self.states(server, good) == ["pending", "success"], "\(server.requests)\n\(serve.log)")
            // The link names the port the server was bound to (the test asks for port 0).
            let port = try await serve.port()
            #expect(
                Self.statuses(server, good).allSatisfy { $0["target_url"] == "http://127.0.0.1:\(port)/api/v1/status" },
                "\(Self.statuses(server, good))")
            try await Self.poll { Self.finished(server, good) != nil }
            #expect(Self.finished(server, good)?.fields["result"] == "converged")
            #expect(Self.webhooks(server, good, key: "hook-key").first?.type == .deploymentStarted)
            try await Self.poll { Self.deploymentStates(server, good).count >= 2 }
            #expect(Self.deploymentStates(server, good) == ["in_progress", "success"], "\(server.requests)")

            // A commit that changes no service is deployed at once: success, not pending for ever.
            try fleet.repository.git.write("README.md", "The shop's fleet.\n")
            let unchanged = try fleet.repository.git.commit("a readme")
            try fleet.push()
            try await Self.poll { Self.states(server, unchanged).last == "success" }
            #expect(Self.states(server, unchanged) == ["pending", "success"], "\(server.requests)\n\(serve.log)")

            // Two services: api converges, web's broken image rolls back. The commit's status is the commit's
            // result, whichever service settles last.
            try fleet.repository.git.write(
                "services/api.yaml", FleetRepository.service("api", image: "demo/api:1.0.0", replicas: 1))
            let broken = try fleet.commitWeb(
                "demo/web:broken", replicas: 1, progressDeadline: "10s", startTimeout: "3s")
            try fleet.push()
            try await Self.poll { Self.states(server, broken).count >= 2 }
            #expect(Self.states(server, broken) == ["pending", "failure"], "\(server.requests)\n\(serve.log)")
            let description = Self.statuses(server, broken).last?["description"] ?? ""
            #expect(description.hasPrefix("rolled back: web: "), "\(description)")
            try await Self.poll { Self.finished(server, broken) != nil }
            let event = try #require(Self.finished(server, broken), "\(serve.log)")
            #expect(event.fields["result"] == "rolled-back")
            #expect(event.fields["services"] == "api=converged web=rolled-back")
            try await Self.poll { Self.deploymentStates(server, broken).count >= 2 }
            #expect(Self.deploymentStates(server, broken) == ["in_progress", "failure"], "\(server.requests)")
            #expect(server.requests.allSatisfy { !$0.text.contains("ghp_e2e") && !$0.text.contains("hook-key") })
            #expect(!serve.log.contains("ghp_e2e") && !serve.log.contains("hook-key"), "secrets never reach the log")
            // A target that refuses is a degradation: the controller stays ready and says why.
            let ready = try await serve.request("GET", "/readyz")
            #expect(ready.status == 200, "\(ready.body)")
            #expect(
                ready.body.contains("notifications: webhook:localhost failing: answered HTTP 401"), "\(ready.body)")
            let metrics = try await serve.request("GET", "/metrics")
            let failed = metrics.body.split(separator: "\n").filter {
                $0.hasPrefix("gitfleet_notifications_total{") && $0.contains(#"target="webhook:localhost""#)
                    && $0.contains(#"result="failed""#)
            }
            #expect(!failed.isEmpty, "\(metrics.body)")
        }
    }
}
