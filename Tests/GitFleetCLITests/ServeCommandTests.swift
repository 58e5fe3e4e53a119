import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet serve against a bare remote", .serialized)
struct ServeCommandTests {
    @Test("A pushed commit converges within one poll interval and its note says converged, from → to")
    func pushedCommitConverges() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let first = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            #expect(first?.contains("result: converged") == true, "\(serve.log)")

            let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 2)
            try fleet.push()
            let pushedAt = ContinuousClock.now
            let note = await remote.waitForNote(on: v2) { $0.contains("\nresult: converged") }
            let took = ContinuousClock.now - pushedAt
            let text = try #require(note, "\(serve.log)")
            let annotation = try StatusAnnotation(yaml: text)
            #expect(annotation.result == .converged, "\(text)\n\(serve.log)")
            #expect(annotation.revision == v2)
            #expect(annotation.controller == "gitfleet-test")
            let web = try #require(annotation.services["web"], "\(text)")
            #expect(web.from?.hasPrefix("demo/web:1.0.0@sha256:") == true, "\(text)")
            #expect(web.to?.hasPrefix("demo/web:1.1.0@sha256:") == true, "\(text)")
            #expect(web.created == 2 && web.destroyed == 2, "\(text)")
            #expect(web.took != nil)
            // One poll interval (1s) to notice, plus the rollout itself (two instances, health-gated).
            #expect(took < .seconds(20), "took \(took)")
            let records = try await fleet.records()
            #expect(records.count == 2 && records.allSatisfy { $0.revision == v2 && $0.state == .serving })
            #expect(try remote.revParse("main") == v2, "the controller moved the branch")
            #expect(await serve.stop(), "serve did not stop gracefully on SIGTERM")
            #expect(serve.log.contains("stopped at a safe point"), "\(serve.log)")
        }
    }

    @Test("A version that never becomes healthy rolls back by itself, the note says so, and it is not retried")
    func automaticRollback() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote, extra: ["--resync-interval", "1s"]) { serve in
            _ = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let broken = try fleet.commitWeb(
                "demo/web:broken", replicas: 2, progressDeadline: "10s", startTimeout: "2s")
            try fleet.push()
            let note = await remote.waitForNote(on: broken) { $0.contains("\nresult: rolled-back") }
            let text = try #require(note, "\(serve.log)")
            #expect(text.contains("result: rolled-back"), "\(text)\n\(serve.log)")
            #expect(text.contains("progressDeadline 10s"), "\(text)")

            // Several resyncs later the failed version has not been tried again.
            let quarantined = try await fleet.records().filter { $0.state == .quarantined }.count
            try await Task.sleep(for: .seconds(4))
            let records = try await fleet.records()
            #expect(records.filter { $0.state == .quarantined }.count == quarantined, "the failed spec was retried")
            #expect(records.filter { $0.state == .serving }.allSatisfy { $0.revision == v1 })
            #expect(records.filter { $0.state == .serving }.count == 2)
        }
    }

    @Test("A broken manifest at a new commit changes nothing and its note lists every error")
    func brokenManifestIsRejected() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            _ = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let before = try await fleet.records()
            try fleet.repository.git.write(
                "services/api.yaml",
                "apiVersion: gitfleet/v1\nkind: Service\nmetadata: {name: api}\nspec:\n  image: demo/api:1.0.0\n  replicas: many\n  dependsOn: [ghost]\n"
            )
            let bad = try fleet.repository.git.commit("a broken api")
            try fleet.push()
            let note = await remote.waitForNote(on: bad) { $0.contains("\nresult: rejected") }
            let text = try #require(note, "\(serve.log)")
            #expect(text.contains("services/api.yaml:6:13: spec.replicas"), "\(text)")
            #expect(text.contains("services/api.yaml:7:15: spec.dependsOn[0]"), "\(text)")
            #expect(try await fleet.records() == before, "a rejected commit changed the fleet")
        }
    }

    @Test("Two writers adding notes to the same remote both keep their notes")
    func twoWriters() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let first = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        // Another writer (a person, or another tool) annotates the same commit's parent-less sibling first.
        let other = try GitFixture.create(at: fleet.repository.directory.appending("other"))
        try other.addRemote("origin", url: remote.fileURL)
        _ = try other.git("fetch", "-q", "origin", "main")
        _ = try other.git("notes", "--ref=audit", "add", "-m", "reviewed by audit", "origin/main")
        _ = try other.git("notes", "--ref=gitfleet", "add", "-m", "manual: deployed by hand once", first)
        _ = try other.git("push", "-q", "origin", "refs/notes/gitfleet")
        try await fleet.withServe(remote) { serve in
            let second = try fleet.commitWeb("demo/web:1.1.0", replicas: 1)
            try fleet.push()
            let note = await remote.waitForNote(on: second) { $0.contains("\nresult: converged") }
            #expect(note?.contains("result: converged") == true, "\(serve.log)")
            // The other writer's note is still there (on the first commit the controller annotated too,
            // the newer text wins and the older stays in the notes history).
            let history = try remote.git("log", "-p", "refs/notes/gitfleet")
            #expect(history.contains("manual: deployed by hand once"), "the other writer's note was lost")
        }
    }
}

@Suite("gitfleet serve: a newer commit supersedes the rollout in flight", .serialized)
struct SupersedeTests {
    @Test(
        "v3 pushed while v2 rolls out takes over at the next safe point; only v3 is left and v2's note says superseded")
    func newerCommitSupersedes() async throws {
        let fleet = try EmbeddedFleet()
        // A v2 that takes 4 seconds to start, so its rollout is surely still in flight when v3 arrives.
        _ = try DemoImage.install(
            into: ImageStore(root: fleet.stateDirectory + "/images"), tag: "slow",
            binary: try RuntimeFixtures.demoBinary(),
            env: ["VERSION": "slow", "DEMO_START_DELAY": "4"])
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            _ = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let v2 = try fleet.commitWeb("demo/web:slow", replicas: 2)
            try fleet.push()
            let started = await remote.waitForNote(on: v2) { $0.contains("\nresult: in-progress") }
            #expect(started != nil, "v2 never started: \(serve.log)")
            let v3 = try fleet.commitWeb("demo/web:2.0.0", replicas: 2)
            try fleet.push()

            let done = await remote.waitForNote(on: v3) { $0.contains("\nresult: converged") }
            #expect(done != nil, "v3 did not converge: \(serve.log)")
            let superseded = remote.gitfleetNote(on: v2) ?? ""
            #expect(superseded.contains("\nresult: superseded"), "\(superseded)")
            let live = try await fleet.records().filter { $0.state.isLive }
            #expect(live.count == 2 && live.allSatisfy { $0.revision == v3 && $0.state == .serving }, "\(live)")
            let running = try await fleet.inventory().filter { $0.status.isRunning }
            #expect(Set(running.map(\.instanceID)) == Set(live.map(\.id)), "a v1 or v2 process is still running")
        }
    }
}

@Suite("gitfleet serve: history rewrites", .serialized)
struct HistoryRewriteTests {
    @Test("A force-pushed head that does not descend from the deployed commit is refused when so configured")
    func rewriteRefused() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 1)
        try fleet.push()
        try await fleet.withServe(remote, extra: ["--refuse-history-rewrite", "true"]) { serve in
            _ = await remote.waitForNote(on: v2) { $0.contains("\nresult: converged") }
            // Rewrite: drop v2 and put another commit on v1 in its place.
            _ = try fleet.repository.git.git("reset", "-q", "--hard", v1)
            let rewritten = try fleet.commitWeb("demo/web:2.0.0", replicas: 1)
            _ = try fleet.repository.git.git("push", "-q", "--force", "origin", "main")
            let note = await remote.waitForNote(on: rewritten) { $0.contains("\nresult: rejected") }
            let annotation = try StatusAnnotation(yaml: try #require(note, "\(serve.log)"))
            #expect(annotation.reason?.contains("history rewritten") == true, "\(note ?? "")")
            #expect(annotation.rewrite?.from == v2)
            #expect(try await fleet.records().allSatisfy { $0.revision == v2 }, "a refused rewrite changed the fleet")
        }
    }
}
