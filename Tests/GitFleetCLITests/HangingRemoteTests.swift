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

    /// Also a chaos scenario of issue 19 (docs/testing.md, "Chaos"): the invariants are sampled throughout, nothing
    /// that ran once the rollout finished is destroyed while the remote stays silent, and once it answers again the
    /// next commit deploys.
    @Test(
        "A rollout begun before the remote went silent finishes; webhooks, readiness and SIGTERM all answer; it recovers"
    )
    func rolloutFinishesWhileTheRemoteHangs() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        try fleet.installSlowImage()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 3)
        try fleet.push()
        let sampler = InvariantSampler(FleetInvariants(replicas: 3, maxSurge: 1), watching: fleet)
        await sampler.start()
        try await fleet.withProxiedServe(remote, extra: ["--git-timeout", "4s"]) { serve, proxy in
            do { try await rollOutWhileSilent(fleet, remote, from: v1, serve, proxy) } catch {
                _ = await sampler.stop()
                throw error
            }
            // Before the fleet is torn down.
            let report = await sampler.stop()
            #expect(report.violations.isEmpty && report.samples > 0, "\(report)")
        }
    }

    private func rollOutWhileSilent(
        _ fleet: EmbeddedFleet, _ remote: GitFixture, from v1: String, _ serve: ServeProcess, _ proxy: StallingProxy
    ) async throws {
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
        let outage = try await OutageWindow.begin(fleet)

        let sent = ContinuousClock.now
        let webhook = try await serve.announcePush(of: v2)
        let answeredIn = ContinuousClock.now - sent
        #expect(webhook.status == 202, "\(webhook)")
        #expect(answeredIn < .seconds(1), "the webhook took \(answeredIn)")

        let readiness = try await serve.waitForStuckGit()
        #expect(readiness.contains("did not answer within 4s"), "\(readiness)")
        #expect(
            ["head lookup", "fetch", "notes push"].contains { readiness.contains("git: \($0)") },
            "readiness does not name the stuck operation: \(readiness)")
        try await outage.expectNothingDestroyed(fleet, during: "the remote's silence")

        // Healthy again: the next commit deploys and the notes reach the remote.
        try proxy.forward()
        let v3 = try fleet.commitWeb("demo/web:1.1.0", replicas: 3)
        try fleet.push()
        try await fleet.waitUntilConverged(on: v3, replicas: 3, remote: remote, log: serve)

        try proxy.goSilent()
        _ = try await serve.waitForStuckGit()
        let stopping = ContinuousClock.now
        #expect(await serve.stop(), "serve did not stop within 10 s of SIGTERM:\n\(serve.log)")
        let stoppedIn = ContinuousClock.now - stopping
        #expect(stoppedIn < .seconds(10))
        print("silent remote: webhook answered in \(answeredIn), SIGTERM stopped serve in \(stoppedIn)")
    }

    @Test("A webhook that names its revision skips the head lookup, and costs nothing when the cache has it")
    func webhookRevisionSkipsTheLookup() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        let extra = ["--poll-interval", "10m", "--push-notes", "false"]
        try await fleet.withProxiedServe(remote, extra: extra) { serve, proxy in
            try await fleet.waitUntil("v1 serves", log: serve) { records in
                records.contains { $0.revision == v1 && $0.state == .serving }
            }
            let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 1)
            try fleet.push()
            let before = proxy.connections
            #expect(try await serve.announcePush(of: v2).status == 202)
            try await fleet.waitUntil("v2 serves", log: serve) { records in
                records.contains { $0.revision == v2 && $0.state == .serving }
            }
            #expect(proxy.connections - before == 1, "a named revision should cost one fetch, no head lookup")

            let settled = proxy.connections
            #expect(try await serve.announcePush(of: v2).status == 202)
            try await Task.sleep(for: .seconds(2))
            #expect(proxy.connections == settled, "a revision the cache holds at the branch needs no connection")
            // With a 10-minute poll interval the watcher sleeps long: shutdown must not wait for it.
            #expect(await serve.stop(), "serve did not stop within 10 s of SIGTERM:\n\(serve.log)")
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

extension ServeProcess {
    /// Polls readiness until it reports a Git operation that did not answer (within 60 s); returns its last body.
    func waitForStuckGit() async throws -> String {
        var readiness = ""
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while ContinuousClock.now < deadline {
            let ready = try await request("GET", "/readyz")
            readiness = ready.body
            if ready.status == 503 && readiness.contains("did not answer within") { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        return readiness
    }

    /// A GitHub push webhook for `revision` on main, signed with the secret `withProxiedServe` configures.
    func announcePush(of revision: String) async throws -> (status: Int, body: String) {
        let body = Data(#"{"ref": "refs/heads/main", "after": "\#(revision)"}"#.utf8)
        return try await request(
            "POST", "/webhooks/github", body: body,
            headers: [
                "Content-Type": "application/json", "X-GitHub-Event": "push",
                "X-Hub-Signature-256": ServeTrustAndWebhookTests.signature(body, secret: "s3cret"),
            ])
    }
}

extension EmbeddedFleet {
    /// Runs `body` with `serve` watching `remote` through `git daemon` behind a ``StallingProxy`` (so a test can
    /// make the remote go silent) and accepting GitHub webhooks signed with `s3cret`.
    func withProxiedServe(
        _ remote: GitFixture, extra: [String], _ body: (ServeProcess, StallingProxy) async throws -> Void
    ) async throws {
        let daemon = try GitDaemon(basePath: repository.directory.path, probe: "remote.git")
        defer { daemon.stop() }
        let proxy = try StallingProxy(targetPort: daemon.port, directory: repository.directory.path)
        defer { proxy.stop() }
        let secretFile = repository.directory.appending("github-secret")
        try "s3cret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let settings = [
            "--repo", "git://127.0.0.1:\(proxy.port)/remote.git", "--github-secret-file", secretFile,
        ]
        try await withServe(remote, extra: settings + extra) { serve in try await body(serve, proxy) }
    }

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
