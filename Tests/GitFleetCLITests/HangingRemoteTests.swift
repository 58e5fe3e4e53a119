import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("gitfleet serve: a remote that never answers, or goes away", .serialized)
struct HangingRemoteTests {
    @Test("Status and readiness still answer while the clone of a silent remote hangs")
    func probesAnswerWhileGitHangs() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        // The later --repo wins: a remote that accepts connections and never says a word.
        try await fleet.withServe(remote, extra: ["--repo", "http://127.0.0.1:\(silent.port)/fleet.git"]) { serve in
            try await Task.sleep(for: .seconds(1))
            let ready = try await serve.request("GET", "/readyz")
            #expect(ready.status == 503, "\(ready)")
            #expect(ready.body.contains("no desired state read yet"), "\(ready)")
            let status = try await serve.request("GET", "/api/v1/status")
            #expect(status.status == 200, "\(status)")
            #expect(serve.log.contains("listening on"), "\(serve.log)")
            serve.killAbruptly()
        }
    }

    @Test("A rollout begun before the remote went silent finishes; webhooks, readiness and SIGTERM all answer")
    func rolloutFinishesWhileTheRemoteHangs() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        try fleet.installSlowImage()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 3)
        try fleet.push()
        let daemon = try GitDaemon(basePath: fleet.repository.directory.path, probe: "remote.git")
        defer { daemon.stop() }
        let proxy = try StallingProxy(targetPort: daemon.port, directory: fleet.repository.directory.path)
        defer { proxy.stop() }
        let secretFile = fleet.repository.directory.appending("github-secret")
        try "s3cret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let extra = [
            "--repo", "git://127.0.0.1:\(proxy.port)/remote.git", "--git-timeout", "4s", "--github-secret-file",
            secretFile,
        ]
        try await fleet.withServe(remote, extra: extra) { serve in
            let first = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            #expect(first != nil, "\(serve.log)")
            let v2 = try fleet.commitWeb("demo/web:slow", replicas: 3)
            try fleet.push()
            try await fleet.waitUntil("the first v2 instance serves", log: serve) { records in
                records.contains { $0.revision == v2 && $0.state == .serving }
            }
            try proxy.goSilent()

            try await fleet.waitUntil("v2 serves on all three instances", timeout: .seconds(90), log: serve) {
                records in
                let live = records.filter { $0.state.isLive }
                return live.count == 3 && live.allSatisfy { $0.revision == v2 && $0.state == .serving }
            }

            let body = Data(#"{"ref": "refs/heads/main", "after": "\#(v2)"}"#.utf8)
            let sent = ContinuousClock.now
            let webhook = try await serve.request(
                "POST", "/webhooks/github", body: body,
                headers: [
                    "Content-Type": "application/json", "X-GitHub-Event": "push",
                    "X-Hub-Signature-256": ServeTrustAndWebhookTests.signature(body, secret: "s3cret"),
                ])
            let answeredIn = ContinuousClock.now - sent
            #expect(webhook.status == 202, "\(webhook)")
            #expect(answeredIn < .seconds(1), "the webhook took \(answeredIn)")

            var readiness = ""
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            while ContinuousClock.now < deadline {
                let ready = try await serve.request("GET", "/readyz")
                readiness = ready.body
                if ready.status == 503 && readiness.contains("did not answer within 4s") { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(readiness.contains("did not answer within 4s"), "\(readiness)")
            #expect(
                ["head lookup", "fetch", "notes push"].contains { readiness.contains("git: \($0)") },
                "readiness does not name the stuck operation: \(readiness)")

            let stopping = ContinuousClock.now
            #expect(await serve.stop(), "serve did not stop within 10 s of SIGTERM:\n\(serve.log)")
            #expect(ContinuousClock.now - stopping < .seconds(10))
        }
    }

    @Test("A note written while the remote was away reaches it by itself once the remote is back")
    func noteReachesTheRemoteAfterItReturns() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        try fleet.installSlowImage()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            _ = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let v2 = try fleet.commitWeb("demo/web:slow", replicas: 2)
            try fleet.push()
            try await fleet.waitUntil("the first v2 instance serves", log: serve) { records in
                records.contains { $0.revision == v2 && $0.state == .serving }
            }
            let away = remote.path + ".away"
            try FileManager.default.moveItem(atPath: remote.path, toPath: away)
            try await fleet.waitUntil("v2 serves on both instances", timeout: .seconds(60), log: serve) { records in
                let live = records.filter { $0.state.isLive }
                return live.count == 2 && live.allSatisfy { $0.revision == v2 && $0.state == .serving }
            }
            var readiness = ""
            for _ in 0..<60 {
                readiness = try await serve.request("GET", "/readyz").body
                if readiness.contains("notes push failing") { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(readiness.contains("notes push failing"), "\(readiness)")
            let metrics = try await serve.request("GET", "/metrics").body
            #expect(metrics.contains("gitfleet_notes_unpushed 1"), "\(metrics)")

            try FileManager.default.moveItem(atPath: away, toPath: remote.path)
            let note = await remote.waitForNote(on: v2, timeout: .seconds(120)) { $0.contains("\nresult: converged") }
            #expect(note?.contains("result: converged") == true, "\(String(describing: note))\n\(serve.log)")
        }
    }
}

extension EmbeddedFleet {
    /// `demo/web:slow`: a version that takes a second and a half to listen, so a rollout to it is surely in
    /// flight when a test strikes.
    func installSlowImage() throws {
        _ = try DemoImage.install(
            into: ImageStore(root: stateDirectory + "/images"), tag: "slow", binary: try RuntimeFixtures.demoBinary(),
            env: ["VERSION": "slow", "DEMO_START_DELAY": "1.5"])
    }

    /// Polls the registry until `condition` holds; fails with the serve log after `timeout`.
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(60), log serve: ServeProcess,
        _ condition: ([InstanceRecord]) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let records = try? await records(), condition(records) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FixtureError("timed out waiting until \(what):\n\(serve.log)")
    }
}
