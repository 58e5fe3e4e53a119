import FleetController
import FleetModel
import FleetPlanner
import FleetRegistry
import FleetServer
import Foundation
import GitFleetTesting
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("HTTP server: health, readiness, metrics and the JSON API")
struct ControllerHTTPServerTests {
    @Test("/healthz answers 200 while the process runs, on the port picked for port 0")
    func healthz() async throws {
        try await RunningServer.with { server in
            #expect(server.port > 0)
            let response = try await server.get("/healthz")
            #expect(response.status == .ok)
            #expect(response.text == "ok\n")
        }
    }

    @Test("/readyz answers 200 when ready and 503 with every reason when not")
    func readyz() async throws {
        try await RunningServer.with { server in
            let ready = try await server.get("/readyz")
            #expect(ready.status == .ok)
            #expect(try ready.decode(Readiness.self) == .ready)

            let reasons = ["git: fetch failing for 3m: connection refused", "registry: database is locked"]
            await server.endpoint.setReadiness(.notReady(reasons))
            let notReady = try await server.get("/readyz")
            #expect(notReady.status == .serviceUnavailable)
            #expect(notReady.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(try notReady.decode(Readiness.self) == Readiness(ready: false, reasons: reasons))
        }
    }

    @Test("/metrics serves the exposition format 0.0.4, including webhook counts the server recorded")
    func metrics() async throws {
        try await RunningServer.with(secrets: [.generic: "s3cret"]) { server in
            server.metrics.recordReconcile(result: "converged", duration: .milliseconds(300))
            server.metrics.setDeployedRevision("8c1f0e2a")
            _ = try await server.request(.post, "/webhooks/generic", body: Array(#"{"ref":"refs/heads/main"}"#.utf8))

            let response = try await server.get("/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let lines = response.text.split(separator: "\n").map(String.init)
            #expect(lines.contains("# TYPE gitfleet_reconciles_total counter"))
            #expect(lines.contains(#"gitfleet_reconciles_total{result="converged"} 1"#))
            #expect(lines.contains(#"gitfleet_reconcile_duration_seconds_bucket{le="0.5"} 1"#))
            #expect(lines.contains(#"gitfleet_webhook_requests_total{provider="generic",outcome="unauthorized"} 1"#))
            let exposition = try PrometheusExposition(response.text)
            #expect(exposition.value("gitfleet_deployed_revision_info", ["revision": "8c1f0e2a"]) == 1)
        }
    }

    @Test("/api/v1/status serves the status document with its documented field names")
    func status() async throws {
        try await RunningServer.with { server in
            let response = try await server.get("/api/v1/status")
            #expect(response.status == .ok)
            #expect(try response.decode(StatusDocument.self) == (await server.endpoint.statusDocument))

            let object = try response.jsonObject()
            #expect(
                Set(object.keys) == [
                    "fleet", "trackedBranch", "revision", "fetchedRevision", "result", "lastReconcileAt", "services",
                ])
            #expect(object["lastReconcileAt"] as? String == "2026-09-21T14:13:20Z")
            let services = try #require(object["services"] as? [[String: Any]])
            #expect(services.map { $0["name"] as? String } == ["api", "web"])
            #expect(Set(services[1].keys) == ["name", "result", "replicas", "ready", "image", "reason"])
            // Unknown optional fields are left out rather than sent as null.
            #expect(services[0]["reason"] == nil)
        }
    }

    @Test("/api/v1/live serves the live-state file's bytes, and a 404 JSON error while there is none")
    func live() async throws {
        try await RunningServer.with { server in
            let none = try await server.get("/api/v1/live")
            #expect(none.status == .notFound)
            #expect(try none.decode(ErrorDocument.self).error == "live_state_unavailable")

            let record = InstanceRecord(
                id: "web-1", service: "web", specHash: SpecHash(rawValue: String(repeating: "a", count: 64)),
                image: "shop/web:1.5.0@sha256:" + String(repeating: "b", count: 64), state: .serving,
                createdAt: Date(timeIntervalSince1970: 1_790_000_000.25))
            let document = LiveStateDocument(
                revision: "8c1f0e2a", instances: [record],
                pinnedImages: LiveStateDocument.pinnedImages(instances: [record], specs: []))
            await server.endpoint.setLive(document)
            let answer = try await server.get("/api/v1/live")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(answer.text == String(decoding: LiveStateFile.encode(document), as: UTF8.self))
            #expect(try LiveStateFile.decodeDocument(Data(answer.text.utf8), file: "/api/v1/live") == document)

            // A registry that cannot be read is a 503 that says so, not a 404 or an empty fleet.
            await server.endpoint.setLiveError(RegistryError(.unavailable, "etcd at 127.0.0.1:2379 is not answering"))
            let unreadable = try await server.get("/api/v1/live")
            #expect(unreadable.status == .serviceUnavailable)
            let error = try unreadable.decode(ErrorDocument.self)
            #expect(error.error == "registry_unavailable")
            #expect(error.message.contains("not answering"))
        }
    }

    @Test("/api/v1/services/{name} serves a known service and a 404 JSON error for an unknown one")
    func service() async throws {
        try await RunningServer.with { server in
            let known = try await server.get("/api/v1/services/web")
            #expect(known.status == .ok)
            let document = try known.decode(ServiceDocument.self)
            #expect(document == (await server.endpoint.services["web"]))
            let object = try known.jsonObject()
            let instance = try #require((object["instances"] as? [[String: Any]])?.first)
            #expect(
                Set(instance.keys) == [
                    "id", "state", "specHash", "image", "revision", "address", "ports", "createdAt", "updatedAt",
                ])

            let unknown = try await server.get("/api/v1/services/nope")
            #expect(unknown.status == .notFound)
            #expect(try unknown.decode(ErrorDocument.self).error == "service_not_found")
        }
    }

    @Test("a path or method no route answers gets a 404 with the JSON error body, not an empty one")
    func unknownRoute() async throws {
        try await RunningServer.with { server in
            for (method, path) in [
                (HTTPRequest.Method.get, "/api/v1/nope"), (.post, "/ui/explode"), (.delete, "/api/v1/status"),
                (.post, "/ui/services/web/explode"),
            ] {
                // The dashboard's forms need an Origin of this server first (CSRF), as a real form sends.
                let answer = try await server.request(
                    method, path, headers: [.origin: "http://127.0.0.1:\(server.port)"])
                #expect(answer.status == .notFound, "\(method) \(path)")
                #expect(answer.headers[.contentType]?.hasPrefix("application/json") == true, "\(method) \(path)")
                let error = try answer.decode(ErrorDocument.self)
                #expect(error.error == "not_found", "\(method) \(path)")
                #expect(error.message == "no route answers \(method) \(path)")
            }
        }
    }

    @Test("POST …/promote and …/abort: the reason from the body, the action contract's fields, 400, 404, 409")
    func gateActions() async throws {
        // As a promote leaves it: moving on to step 3 (counted from 1).
        let promoted = RolloutState(
            service: "web", targetSpecHash: SpecHash(rawValue: String(repeating: "b", count: 64)),
            lastGoodSpecHash: SpecHash(rawValue: String(repeating: "a", count: 64)), phase: .progressing, step: 2,
            startedAt: Date())
        try await RunningServer.with { server in
            await server.endpoint.setGate([
                "web": .done(promoted),
                "api": .refused("the rollout of 'api' waits at no canary gate (it is converged)"),
                "db": .notLeader(leader: "gitfleet-b"),
            ])
            let answer = try await server.request(
                .post, "/api/v1/services/web/promote", body: Array(#"{"reason": "  looks good "}"#.utf8))
            #expect(answer.status == .ok)
            let reply = try answer.jsonObject()
            #expect(reply["action"] as? String == "promote" && reply["by"] as? String == "anonymous")
            #expect(reply["reason"] as? String == "looks good" && reply["service"] as? String == "web")
            #expect(reply["phase"] as? String == "in-progress" && reply["step"] as? Int == 3, "\(reply)")
            #expect(reply["at"] is String && (reply["message"] as? String)?.isEmpty == false)

            // No body: no reason, written as null as the action contract has it.
            let bare = try await server.request(.post, "/api/v1/services/web/abort")
            #expect(bare.status == .ok)
            #expect(try bare.jsonObject()["reason"] is NSNull)
            #expect(try bare.jsonObject()["action"] as? String == "abort")

            let long = try await server.request(
                .post, "/api/v1/services/web/promote",
                body: Array(#"{"reason": "\#(String(repeating: "x", count: 1_001))"}"#.utf8))
            #expect(long.status == .badRequest)
            #expect(try long.decode(ErrorDocument.self).error == "bad_request")
            let notJSON = try await server.request(.post, "/api/v1/services/web/promote", body: Array("why".utf8))
            #expect(notJSON.status == .badRequest)

            let refused = try await server.request(.post, "/api/v1/services/api/promote")
            #expect(refused.status == .conflict)
            #expect(try refused.decode(ErrorDocument.self).error == "conflict")
            #expect(try refused.decode(ErrorDocument.self).message.contains("waits at no canary gate"))
            let unknown = try await server.request(.post, "/api/v1/services/nope/abort")
            #expect(unknown.status == .notFound)
            #expect(try unknown.decode(ErrorDocument.self).error == "service_not_found")
            let standby = try await server.request(.post, "/api/v1/services/db/promote")
            #expect(standby.status == .serviceUnavailable)
            #expect(try standby.decode(NotLeaderDocument.self).leader == "gitfleet-b")

            // Bad bodies never reach the controller.
            let calls = await server.endpoint.gateCalls
            #expect(calls.map(\.service) == ["web", "web", "api", "nope", "db"])
            #expect(calls.map(\.action) == [.promote, .abort, .promote, .abort, .promote])
            #expect(calls.first?.reason == "looks good" && calls.first?.caller == "anonymous")
        }
    }

    @Test("POST /api/v1/services/{name}/retry answers the retried specs, 404, 409, 503 not_leader as documented")
    func retry() async throws {
        let failed = SpecHash(rawValue: String(repeating: "a", count: 64))
        try await RunningServer.with { server in
            await server.endpoint.setRetry([
                "web": .retried([failed]), "api": .nothingFailed, "db": .notLeader(leader: "gitfleet-b"),
                "cache": .notLeader(leader: nil),
            ])
            let retried = try await server.request(.post, "/api/v1/services/web/retry")
            #expect(retried.status == .ok)
            #expect(try retried.decode(RetryReply.self) == RetryReply(service: "web", retried: [failed]))
            #expect(Set(try retried.jsonObject().keys) == ["service", "retried"])

            let nothing = try await server.request(.post, "/api/v1/services/api/retry")
            #expect(nothing.status == .ok)
            #expect(try nothing.decode(RetryReply.self).retried.isEmpty)

            let unknown = try await server.request(.post, "/api/v1/services/nope/retry")
            #expect(unknown.status == .notFound)
            let error = try unknown.decode(ErrorDocument.self)
            #expect(error.error == "service_not_found")
            #expect(error.message.contains("'nope'"))

            let standby = try await server.request(.post, "/api/v1/services/db/retry")
            #expect(standby.status == .serviceUnavailable)
            #expect(try standby.decode(NotLeaderDocument.self) == NotLeaderDocument(leader: "gitfleet-b"))
            #expect(try standby.decode(NotLeaderDocument.self).message.contains("gitfleet-b"))
            let leaderless = try await server.request(.post, "/api/v1/services/cache/retry")
            #expect(leaderless.status == .serviceUnavailable)
            #expect(try leaderless.jsonObject()["leader"] == nil)

            // A GET changes nothing.
            #expect(try await server.get("/api/v1/services/web/retry").status != .ok)
            #expect(await server.endpoint.retries == ["web", "api", "nope", "db", "cache"])

            await server.endpoint.setRetry([:], error: RegistryError(.conflict, "version 7 expected, 8 found"))
            let conflict = try await server.request(.post, "/api/v1/services/web/retry")
            #expect(conflict.status == .conflict)
            #expect(try conflict.decode(ErrorDocument.self).error == "rollout_changed")

            await server.endpoint.setRetry([:], error: RegistryError(.unavailable, "etcd cannot be reached"))
            let down = try await server.request(.post, "/api/v1/services/web/retry")
            #expect(down.status == .serviceUnavailable)
            #expect(try down.decode(ErrorDocument.self).error == "registry_unavailable")

            await server.endpoint.setRetry([:], unavailable: true)
            let cannot = try await server.request(.post, "/api/v1/services/web/retry")
            #expect(cannot.status == .notFound)
            #expect(try cannot.decode(ErrorDocument.self).error == "retry_unavailable")
        }
    }

    @Test("graceful shutdown of the service group stops the listener")
    func gracefulShutdown() async throws {
        let port = try await RunningServer.with { (server: RunningServer) async throws -> Int in
            #expect(try await server.get("/healthz").status == .ok)
            return server.port
        }
        // `with` returned only after the group ended, so nothing listens on the port any more.
        await #expect(throws: (any Error).self) {
            try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
                try await client.get("/healthz")
            }
        }
    }

    @Test("a taken port fails run() and listeningPort() instead of hanging")
    func portTaken() async throws {
        try await RunningServer.with { running in
            let second = try ControllerHTTPServer(
                configuration: ServerConfiguration(port: running.port), endpoint: RecordingEndpoint(),
                metrics: FleetMetrics())
            await #expect(throws: (any Error).self) { try await second.run() }
            let error = await #expect(throws: ServerError.self) { try await second.listeningPort() }
            #expect(error?.code == .notListening)
        }
    }

    @Test("an unreadable or empty secret file fails the start")
    func badSecretFiles() throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-server")
        let empty = directory.appending("empty.secret")
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)
        let cases: [(String, ServerError.Code)] = [
            (directory.appending("missing.secret"), .secretUnreadable), (empty, .secretEmpty),
        ]
        for (path, code) in cases {
            let error = #expect(throws: ServerError.self) {
                try ControllerHTTPServer(
                    configuration: ServerConfiguration(port: 0, webhookSecretFiles: [.github: path]),
                    endpoint: RecordingEndpoint(), metrics: FleetMetrics())
            }
            #expect(error?.code == code)
        }
    }
}
