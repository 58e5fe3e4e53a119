import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet wait against a running controller", .serialized)
struct WaitCommandTests {
    @Test("wait exits 0 for a commit that converges and 1 for one that rolls back")
    func convergedAndRolledBack() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let good = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let server = "http://127.0.0.1:\(try await serve.port())"
            let converged = try await BuiltProducts.gitfleet([
                "wait", good, "--server", server, "--timeout", "120s", "--interval", "500ms",
            ])
            #expect(converged.status == 0, "\(converged)\n\(serve.log)")
            #expect(converged.standardOutput.contains("\(good.prefix(12)): converged"), "\(converged)")

            let broken = try fleet.commitWeb("demo/web:broken", replicas: 2, progressDeadline: "20s")
            try fleet.push()
            let rolledBack = try await BuiltProducts.gitfleet([
                "wait", broken, "--server", server, "--timeout", "180s", "--interval", "500ms",
            ])
            #expect(rolledBack.status == 1, "\(rolledBack)\n\(serve.log)")
            #expect(rolledBack.standardOutput.contains("\(broken.prefix(12)): rolled-back"), "\(rolledBack)")

            let tooSoon = try await BuiltProducts.gitfleet([
                "wait", String(repeating: "a", count: 40), "--server", server, "--timeout", "1s",
                "--interval", "200ms",
            ])
            #expect(tooSoon.status == 2, "\(tooSoon)")
        }
    }

    /// A controller that accepts the connection and never answers must not hold `wait` past `--timeout`: each
    /// request is bounded by what is left of it (30 s otherwise, so the bound below tells the two apart).
    @Test("wait against a controller that accepts and never answers exits 2 at its timeout")
    func silentController() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let started = ContinuousClock.now
        let waited = try await BuiltProducts.gitfleet([
            "wait", String(repeating: "b", count: 40), "--server", "http://127.0.0.1:\(silent.port)", "--timeout", "2s",
            "--interval", "200ms",
        ])
        #expect(waited.status == 2, "\(waited)")
        #expect(started.duration(to: .now) < .seconds(20), "\(waited)")
        #expect(waited.standardError.contains("not handled within"), "\(waited)")
    }

    @Test("wait exits 0 for a commit never deployed alone once the descendant pushed with it converges")
    func descendantConverges() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let first = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let server = "http://127.0.0.1:\(try await serve.port())"
            let deployed = try await BuiltProducts.gitfleet([
                "wait", first, "--server", server, "--timeout", "120s", "--interval", "500ms",
            ])
            #expect(deployed.status == 0, "\(deployed)\n\(serve.log)")

            // Two merges in one push: the controller only ever sees the second, so the first gets no note.
            let merged = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
            let next = try fleet.commitWeb("demo/web:1.0.0", replicas: 3)
            try fleet.push()
            let waited = try await BuiltProducts.gitfleet([
                "wait", merged, "--server", server, "--timeout", "120s", "--interval", "500ms",
            ])
            #expect(waited.status == 0, "\(waited)\n\(serve.log)")
            #expect(
                waited.standardOutput.contains(
                    "\(merged.prefix(12)): handled as \(next.prefix(12)) (descendant): converged"),
                "\(waited)")
            #expect(remote.gitfleetNote(on: merged) == nil, "the first merge was deployed alone:\n\(serve.log)")

            // The API's own answer, field by field.
            let answer = try await serve.request("GET", "/api/v1/commits/\(merged)")
            #expect(answer.status == 200, "\(answer)")
            let document = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            #expect(document?["commit"] as? String == merged)
            #expect(document?["handledAs"] as? String == next)
            #expect(document?["state"] as? String == "converged")
            #expect(document?["trackedBranch"] as? String == "main")
            #expect((document?["services"] as? [String: Any])?["web"] != nil, "\(answer)")
            let short = try await serve.request("GET", "/api/v1/commits/\(next.prefix(12))")
            #expect(short.body.contains("\"commit\":\"\(next)\""), "\(short)")
            let unknown = try await serve.request("GET", "/api/v1/commits/\(String(repeating: "b", count: 40))")
            #expect(unknown.status == 200 && unknown.body.contains("\"state\":\"unknown\""), "\(unknown)")
            let bad = try await serve.request("GET", "/api/v1/commits/main")
            #expect(bad.status == 400 && bad.body.contains("\"error\":\"bad_revision\""), "\(bad)")
        }
    }
}
