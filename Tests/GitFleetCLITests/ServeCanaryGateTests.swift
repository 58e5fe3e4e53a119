import FleetModel
import FleetPlanner
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

/// Canary gates (`pause: {}`) end to end: a real `gitfleet serve` (processes runtime, SQLite registry, HTTP with
/// API tokens) holds a canary at its gate well past the progress deadline, `promote` moves it on and `abort` rolls
/// it back, through the API (`--server`) and through the registry (`--state-dir`).
@Suite("gitfleet serve: canary gates, promote and abort", .serialized)
struct ServeCanaryGateTests {
    /// `web` as a canary of 2 instances: 50 % first, then a gate at that weight, with a short progress deadline so
    /// a gate that let it run out would fail the rollout within the test.
    static func canary(_ image: String, env: String = "{}") -> String {
        """
        apiVersion: gitfleet/v1
        kind: Service
        metadata:
          name: web
        spec:
          image: \(image)
          replicas: 2
          env: \(env)
          ports: {http: 0}
          health:
            http: {path: /healthz, port: http}
            interval: 200ms
            timeout: 1s
            healthyThreshold: 1
            unhealthyThreshold: 2
            startTimeout: 10s
          rollout:
            strategy: canary
            progressDeadline: 10s
            steps:
              - {weight: 50, pause: 0s}
              - pause: {}
          drain: {delay: 200ms, gracePeriod: 5s}
        """
    }

    @Test(
        "A canary waits at its gate past progressDeadline; promote completes it, abort rolls it back and fails the spec"
    )
    func promoteAndAbort() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        try fleet.repository.git.write("services/web.yaml", Self.canary("demo/web:1.0.0"))
        let first = try fleet.repository.git.commit("web 1.0.0")
        try fleet.push()
        let readFile = fleet.repository.directory.appending("token-ci")
        let operateFile = fleet.repository.directory.appending("token-oncall")
        let readSecret = "read-\(UUID().uuidString)"
        try (readSecret + "\n").write(toFile: readFile, atomically: true, encoding: .utf8)
        try ("operate-\(UUID().uuidString)\n").write(toFile: operateFile, atomically: true, encoding: .utf8)
        let tokens = "ci scope=read file=\(readFile),oncall scope=operate file=\(operateFile)"
        try await fleet.withServe(remote, extra: ["--api-tokens", tokens]) { serve in
            let server = "http://127.0.0.1:\(try await serve.port())"
            let client = ["--server", server, "--server-token-file", operateFile]
            let read = ["Authorization": "Bearer \(readSecret)"]
            // A first rollout passes its gate: there is nothing to compare the canary with.
            let note = await remote.waitForNote(on: first) { $0.contains("\nresult: converged") }
            try #require(note?.contains("\nresult: converged") == true, "\(serve.log)")

            // A second commit stops at the gate: one instance of each spec, phase paused, the gate shown.
            try fleet.repository.git.write("services/web.yaml", Self.canary("demo/web:1.1.0"))
            let second = try fleet.repository.git.commit("web 1.1.0")
            try fleet.push()
            let gate = try await Self.waitForGate(serve, headers: read)
            #expect(gate["step"] as? Int == 2 && gate["weight"] as? Int == 50, "\(gate)")
            let pausedEvent = try await Self.event("rollout-paused", serve, headers: read)
            #expect(pausedEvent["step"] as? Int == 2, "\(pausedEvent)")
            // Well past progressDeadline (10s) it still waits, serving both specs.
            try await Task.sleep(for: .seconds(15))
            let service = try await Self.json(serve, "/api/v1/services/web", headers: read)
            #expect(service["result"] as? String == "paused", "\(service)\n\(serve.log)")
            #expect((service["gate"] as? [String: Any])?["step"] as? Int == 2, "\(service)")
            let held = try await Self.serving(fleet)
            #expect(held.compactMap(\.revision).sorted() == [first, second].sorted(), "\(held)")
            let text = try await BuiltProducts.gitfleet(["status"] + client)
            #expect(
                text.standardOutput.contains("web: paused, target ")
                    && text.standardOutput.contains("waiting at canary gate step 2 (weight 50%) since "), "\(text)")

            // promote needs operate; with it the rollout leaves the gate and completes.
            let forbidden = try await serve.request("POST", "/api/v1/services/web/promote", headers: read)
            #expect(forbidden.status == 403, "\(forbidden)")
            let promoted = try await BuiltProducts.gitfleet(
                ["promote", "web", "--reason", "canary metrics look good"] + client)
            #expect(promoted.status == 0, "\(promoted)\n\(serve.log)")
            #expect(promoted.standardOutput == "web moves on to canary step 3\n", "\(promoted)")
            try await Self.waitUntil("all at 1.1.0", serve) {
                let live = try await Self.serving(fleet)
                return live.count == 2 && live.allSatisfy { $0.revision == second }
            }
            let promotedEvent = try await Self.event("rollout-promoted", serve, headers: read)
            #expect(promotedEvent["by"] as? String == "oncall", "\(promotedEvent)")
            #expect(promotedEvent["reason"] as? String == "canary metrics look good", "\(promotedEvent)")
            let converged = await remote.waitForNote(on: second) {
                $0.contains("\nresult: converged") && $0.contains("action: promote")
            }
            // The note of the commit being rolled out records who promoted it, and why, past the tracker's rewrite.
            #expect(
                converged?.contains("action: promote, service: web, by: oncall") == true
                    && converged?.contains("canary metrics look good") == true, "\(converged ?? "")\n\(serve.log)")
            // Nothing waits now: 409 with a reason, both through the API and through the registry.
            let again = try await BuiltProducts.gitfleet(["promote", "web"] + client)
            #expect(again.status == 1, "\(again)")
            #expect(again.standardError.contains("waits at no canary gate (it is converged)"), "\(again)")
            let againLocally = try await BuiltProducts.gitfleet(["promote", "web", "--state-dir", fleet.stateDirectory])
            #expect(againLocally.standardError == again.standardError, "\(againLocally)")

            // A third commit: abort at the gate rolls back to 1.1.0, and the aborted spec stays failed.
            try fleet.repository.git.write("services/web.yaml", Self.canary("demo/web:2.0.0"))
            let third = try fleet.repository.git.commit("web 2.0.0")
            try fleet.push()
            _ = try await Self.waitForGate(serve, headers: read)
            let aborted = try await BuiltProducts.gitfleet(["abort", "web", "--reason", "errors up"] + client)
            #expect(aborted.status == 0, "\(aborted)\n\(serve.log)")
            #expect(aborted.standardOutput.contains("is aborted;"), "\(aborted)")
            // Restored instances record the commit they were made for (the third); they run 1.1.0's spec.
            let good = try #require(try await Self.serving(fleet).first { $0.revision == second }?.specHash)
            try await Self.waitUntil("all back at 1.1.0", serve) {
                let live = try await Self.serving(fleet)
                let phase = try await fleet.rollout()?.phase
                return live.count == 2 && live.allSatisfy { $0.specHash == good } && phase == .rolledBack
            }
            let abortedNote = await remote.waitForNote(on: third) { $0.contains("action: abort") }
            #expect(abortedNote?.contains("action: abort, service: web, by: oncall") == true, "\(abortedNote ?? "")")
            let abortedEvent = try await Self.event("rollout-aborted", serve, headers: read)
            #expect(abortedEvent["by"] as? String == "oncall" && abortedEvent["reason"] as? String == "errors up")
            let state = try #require(try await fleet.rollout())
            #expect(state.targetRevision == third && state.failedSpecHashes.count == 1, "\(state)")
            #expect(state.message == "aborted by oncall: errors up", "\(state)")
            // Not retried: a few passes later nothing of the aborted spec runs.
            try await Task.sleep(for: .seconds(3))
            #expect(try await Self.serving(fleet).allSatisfy { $0.specHash == good })
            let nothing = try await BuiltProducts.gitfleet(["abort", "web"] + client)
            #expect(nothing.status == 1 && nothing.standardError.contains("nothing to abort"), "\(nothing)")

            // Through the registry's own credentials: a new spec waits at the gate, `promote --state-dir` moves it on.
            try fleet.repository.git.write("services/web.yaml", Self.canary("demo/web:1.1.0", env: "{MODE: b}"))
            let fourth = try fleet.repository.git.commit("web 1.1.0, mode b")
            try fleet.push()
            _ = try await Self.waitForGate(serve, headers: read)
            let local = try await BuiltProducts.gitfleet(["promote", "web", "--state-dir", fleet.stateDirectory])
            #expect(local.status == 0, "\(local)")
            #expect(local.standardOutput == "web moves on to canary step 3\n", "\(local)")
            try await Self.waitUntil("all at mode b", serve) {
                let live = try await Self.serving(fleet)
                return live.count == 2 && live.allSatisfy { $0.revision == fourth }
            }
        }
    }

    /// The serving instances of web in the registry.
    static func serving(_ fleet: EmbeddedFleet) async throws -> [InstanceRecord] {
        try await fleet.records().filter { $0.service == "web" && $0.state == .serving }
    }

    /// `GET path` as JSON.
    static func json(_ serve: ServeProcess, _ path: String, headers: [String: String]) async throws -> [String: Any] {
        let answer = try await serve.request("GET", path, headers: headers)
        try #require(answer.status == 200, "\(path): \(answer)")
        return try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
    }

    /// Polls `/api/v1/status` until web is paused at a gate; returns the gate.
    static func waitForGate(_ serve: ServeProcess, headers: [String: String]) async throws -> [String: Any] {
        var gate: [String: Any]?
        try await waitUntil("web paused at a gate", serve) {
            let status = try await json(serve, "/api/v1/status", headers: headers)
            let web = (status["services"] as? [[String: Any]])?.first { $0["name"] as? String == "web" }
            gate = web?["result"] as? String == "paused" ? web?["gate"] as? [String: Any] : nil
            return gate != nil
        }
        return try #require(gate)
    }

    /// The newest event of `type`.
    static func event(_ type: String, _ serve: ServeProcess, headers: [String: String]) async throws -> [String: Any] {
        var found: [String: Any]?
        try await waitUntil("a \(type) event", serve) {
            let object = try await json(serve, "/api/v1/events?limit=1000", headers: headers)
            found = (object["events"] as? [[String: Any]])?.last { $0["type"] as? String == type }
            return found != nil
        }
        return try #require(found)
    }

    /// Polls `condition` for up to two minutes (a loaded machine runs rollouts slowly); fails with the log.
    static func waitUntil(
        _ what: String, _ serve: ServeProcess, _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(120))
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(300))
        }
        Issue.record("never: \(what)\n\(serve.log)")
        throw FixtureError("never: \(what)")
    }
}

extension EmbeddedFleet {
    /// web's rollout state in the registry.
    func rollout() async throws -> RolloutState? {
        let registry = try registry()
        defer { Task { try? await registry.close() } }
        return try await registry.rolloutState(service: "web")?.record
    }
}
