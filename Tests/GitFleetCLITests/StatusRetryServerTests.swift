import FleetModel
import FleetPlanner
import Foundation
import GitFleetTesting
import Testing

/// `status` and `retry` in client mode: through a running controller's API instead of the registry's own
/// credentials, printing what the local forms print.
@Suite("gitfleet status and retry against a running controller", .serialized)
struct StatusRetryServerTests {
    @Test("status --server prints what status --state-dir prints; retry --server makes the controller try again")
    func clientMode() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let good = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let note = await remote.waitForNote(on: good) { $0.contains("\nresult: converged") }
            try #require(note?.contains("\nresult: converged") == true, "\(serve.log)")
            let server = "http://127.0.0.1:\(try await serve.port())"
            let local = ["--state-dir", fleet.stateDirectory]

            try await Self.expectSameStatus(["status"], local: local, server: server)
            try await Self.expectSameStatus(["status", "web"], local: local, server: server)
            try await Self.expectSameStatus(["status", "nosuch"], local: local, server: server)
            let json = try await Self.expectSameStatus(["status", "--json"], local: local, server: server)
            #expect(json.revision == good)
            #expect(json.runtimeScope == fleet.scope)
            let text = try await BuiltProducts.gitfleet(["status", "--server", server])
            #expect(text.standardOutput.hasSuffix("runtime scope: \(fleet.scope)\n"), "\(text)")

            let broken = try fleet.commitWeb("demo/web:broken", replicas: 2, progressDeadline: "30s")
            try fleet.push()
            let rolledBack = try await Self.poll(serve, timeout: .seconds(180)) { live in
                live.rollouts.first { $0.service == "web" && $0.phase == "rolledBack" && $0.targetRevision == broken }
            }
            let failed = try #require(rolledBack?.failedSpecHashes.first, "\(serve.log)")
            // The held-back spec is in the document too, so a plan can name what a change does to it.
            let heldBack = try await Self.poll(serve, timeout: .seconds(5)) { $0.appliedSpecs[failed.rawValue] }
            #expect(heldBack?.image.tag == "broken", "\(serve.log)")
            let failedStatus = try await Self.expectSameStatus(["status"], local: local, server: server)
            #expect(failedStatus.rollouts.first?.failedSpecHashes == [failed])

            let retried = try await BuiltProducts.gitfleet(["retry", "web", "--server", server])
            #expect(retried.status == 0, "\(retried)\n\(serve.log)")
            #expect(
                retried.standardOutput
                    == "web: failed spec \(failed.short) will be tried again at the next reconcile\n",
                "\(retried)")
            // The controller told it as an event and started the rollout again: new instances of the failed spec.
            let events = try await Self.pollEvents(serve, timeout: .seconds(60)) { events in
                guard let retry = events.first(where: { $0["type"] as? String == "rollout-retried" }) else {
                    return false
                }
                return events.contains {
                    $0["type"] as? String == "instance-created" && $0["specHash"] as? String == failed.short
                        && ($0["id"] as? Int ?? 0) > (retry["id"] as? Int ?? 0)
                }
            }
            let retryEvent = try #require(
                events.first { $0["type"] as? String == "rollout-retried" }, "\(serve.log)")
            #expect(retryEvent["service"] as? String == "web")
            #expect(retryEvent["specHashes"] as? String == failed.short)
            #expect(serve.log.contains("will be tried again, as an operator asked"))

            // Nothing has failed now (the retried rollout runs): both forms say so and write nothing.
            let again = try await BuiltProducts.gitfleet(["retry", "web", "--server", server])
            let againLocally = try await BuiltProducts.gitfleet(["retry", "web"] + local)
            #expect(again.status == 0, "\(again)")
            #expect(again.standardOutput == "web: no failed spec to retry\n", "\(again)")
            #expect(againLocally.standardOutput == again.standardOutput, "\(againLocally)")

            let unknown = try await BuiltProducts.gitfleet(["retry", "nosuch", "--server", server])
            let unknownLocally = try await BuiltProducts.gitfleet(["retry", "nosuch"] + local)
            #expect(unknown.status == 1, "\(unknown)")
            #expect(unknown.standardError == "error: the registry has no rollout of 'nosuch'\n", "\(unknown)")
            #expect(unknownLocally.status == 1)
            #expect(unknownLocally.standardError == unknown.standardError, "\(unknownLocally)")
        }
    }

    @Test(
        "--server beside a flag that names a registry is a usage error naming both",
        arguments: [
            ["status", "--server", "http://127.0.0.1:9", "--state-dir", "/tmp/x"],
            ["status", "--json", "--server", "http://127.0.0.1:9", "--config", "/tmp/gitfleet.yaml"],
            ["retry", "web", "--server", "http://127.0.0.1:9", "--state-dir", "/tmp/x"],
            ["retry", "web", "--server", "http://127.0.0.1:9", "--runtime-scope", "shop"],
            ["status", "--server", "http://127.0.0.1:9", "--repo", "/tmp/fleet"],
        ])
    func usageErrors(_ arguments: [String]) async throws {
        let outcome = try await BuiltProducts.gitfleet(arguments)
        let flag = try #require(
            arguments.first { ["--state-dir", "--config", "--runtime-scope", "--repo"].contains($0) })
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.standardError.contains("--server and \(flag) name two places"), "\(outcome)")
        #expect(outcome.standardOutput.isEmpty)
    }

    /// Runs `arguments` against the registry and against the controller until both print the same (ages
    /// aside, which tick between the two runs) and returns the controller's document; a registry that
    /// changes between two reads is read again.
    @discardableResult
    static func expectSameStatus(_ arguments: [String], local: [String], server: String) async throws
        -> LiveStateDocument
    {
        var last = ("", "")
        for _ in 0..<5 {
            let fromRegistry = try await BuiltProducts.gitfleet(arguments + local)
            let fromServer = try await BuiltProducts.gitfleet(arguments + ["--server", server])
            try #require(fromRegistry.status == 0, "\(fromRegistry)")
            try #require(fromServer.status == 0, "\(fromServer)")
            if arguments.contains("--json") {
                let registryDocument = try LiveStateFile.decodeDocument(
                    Data(fromRegistry.standardOutput.utf8), file: "-")
                let serverDocument = try LiveStateFile.decodeDocument(Data(fromServer.standardOutput.utf8), file: "-")
                var comparable = serverDocument
                // The registry alone does not know which commit the controller deployed.
                comparable.revision = nil
                if comparable == registryDocument { return serverDocument }
                last = (fromRegistry.standardOutput, fromServer.standardOutput)
            } else {
                let pair = (ageless(fromRegistry.standardOutput), ageless(fromServer.standardOutput))
                if pair.0 == pair.1 {
                    let document = try await BuiltProducts.gitfleet(arguments + ["--json", "--server", server])
                    return try LiveStateFile.decodeDocument(Data(document.standardOutput.utf8), file: "-")
                }
                last = pair
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("status \(arguments) differs:\nregistry:\n\(last.0)\ncontroller:\n\(last.1)")
        throw FixtureError("status output differs")
    }

    /// The output with each instance's age (`12s`, `3m`) replaced and columns single-spaced, so two
    /// runs a second apart compare equal.
    static func ageless(_ output: String) -> String {
        output.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var cells = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            // Instance rows: SERVICE INSTANCE STATE AGE …; rollout lines start with "service:".
            if cells.count >= 7, !cells[0].hasSuffix(":"), cells[3].dropLast().allSatisfy(\.isNumber),
                "smhd".contains(cells[3].last ?? "x")
            {
                cells[3] = "AGE"
            }
            return cells.joined(separator: " ")
        }.joined(separator: "\n")
    }

    /// Polls `GET /api/v1/live` until `found` answers something, or `timeout` passes (then nil).
    static func poll<T>(_ serve: ServeProcess, timeout: Duration, _ found: (LiveStateDocument) -> T?) async throws
        -> T?
    {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let answer = try await serve.request("GET", "/api/v1/live")
            if answer.status == 200,
                let value = found(try LiveStateFile.decodeDocument(Data(answer.body.utf8), file: "live"))
            {
                return value
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        return nil
    }

    /// Polls `GET /api/v1/events` until `done` holds for the events, or `timeout` passes; returns the last seen.
    static func pollEvents(_ serve: ServeProcess, timeout: Duration, _ done: ([[String: Any]]) -> Bool) async throws
        -> [[String: Any]]
    {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var events: [[String: Any]] = []
        while ContinuousClock.now < deadline {
            let answer = try await serve.request("GET", "/api/v1/events?limit=1000")
            let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            events = object?["events"] as? [[String: Any]] ?? []
            if done(events) { return events }
            try await Task.sleep(for: .milliseconds(500))
        }
        return events
    }
}
