import Crypto
import FleetController
import FleetModel
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet serve: webhooks, signed commits, history, readiness", .serialized)
struct ServeTrustAndWebhookTests {
    static func signature(_ body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    @Test("A correctly signed webhook deploys at once; a wrongly signed one gets 401 and changes nothing")
    func webhookTriggersDeploy() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        let secretFile = fleet.repository.directory.appending("github-secret")
        try "s3cret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        // A poll interval far longer than the test: only the webhook can explain a quick deploy.
        try await fleet.withServe(remote, extra: ["--poll-interval", "10m", "--github-secret-file", secretFile]) {
            serve in
            _ = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 1)
            try fleet.push()
            let body = Data(#"{"ref": "refs/heads/main", "after": "\#(v2)"}"#.utf8)

            let forged = try await serve.request(
                "POST", "/webhooks/github", body: body,
                headers: [
                    "Content-Type": "application/json", "X-GitHub-Event": "push",
                    "X-Hub-Signature-256": Self.signature(body, secret: "wrong"),
                ])
            #expect(forged.status == 401, "\(forged)")
            try await Task.sleep(for: .seconds(2))
            #expect(remote.gitfleetNote(on: v2) == nil, "a forged webhook deployed v2")
            #expect(try await fleet.records().allSatisfy { $0.revision == v1 })

            let sent = ContinuousClock.now
            let genuine = try await serve.request(
                "POST", "/webhooks/github", body: body,
                headers: [
                    "Content-Type": "application/json", "X-GitHub-Event": "push",
                    "X-Hub-Signature-256": Self.signature(body, secret: "s3cret"),
                ])
            #expect(genuine.status == 202, "\(genuine)")
            let note = await remote.waitForNote(on: v2, timeout: .seconds(30)) { $0.contains("\nresult: converged") }
            #expect(note?.contains("result: converged") == true, "\(serve.log)")
            #expect(ContinuousClock.now - sent < .seconds(30), "the webhook did not deploy at once")

            let metrics = try await serve.request("GET", "/metrics")
            #expect(metrics.body.contains("gitfleet_deployed_revision_info{revision=\"\(v2)\"} 1"), "\(metrics.body)")
            #expect(metrics.body.contains("gitfleet_webhook_requests_total"), "\(metrics.body)")
            let status = try await serve.request("GET", "/api/v1/services/web")
            #expect(status.status == 200, "\(status)")
            let service = try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any]
            #expect(service?["ready"] as? Int == 1, "\(status)")
        }
    }

    @Test(
        "With signatures required, an unsigned commit is rejected and an SSH-signed commit by an allowed signer deploys"
    )
    func signedCommits() async throws {
        // Also: the fleet phase after a rejected commit, and history --json carrying the whole annotation.
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let keys = fleet.repository.directory.appending("keys")
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        let trusted = try SSHSigningKey(in: keys, name: "trusted")
        let stranger = try SSHSigningKey(in: keys, name: "stranger", principal: "stranger@gitfleet.invalid")
        let allowed = try SSHSigningKey.writeAllowedSigners([trusted], to: keys + "/allowed_signers")

        try fleet.repository.git.write(
            "services/web.yaml", FleetRepository.service("web", image: "demo/web:1.0.0", replicas: 1))
        let signed = try fleet.repository.git.commitSigned("web 1.0.0, signed", with: trusted)
        try fleet.push()
        try await fleet.withServe(
            remote, extra: ["--require-signed-commits", "true", "--allowed-signers-file", allowed]
        ) { serve in
            let deployed = await remote.waitForNote(on: signed) { $0.contains("\nresult: converged") }
            #expect(deployed?.contains("method: ssh") == true, "\(deployed ?? "")\n\(serve.log)")
            #expect(deployed?.contains("tester@gitfleet.invalid") == true, "\(deployed ?? "")")

            let unsigned = try fleet.commitWeb("demo/web:1.1.0", replicas: 1)
            try fleet.push()
            let rejected = await remote.waitForNote(on: unsigned) { $0.contains("\nresult: rejected") }
            #expect(rejected?.contains("not signed") == true, "\(rejected ?? "")\n\(serve.log)")

            try fleet.repository.git.write(
                "services/web.yaml", FleetRepository.service("web", image: "demo/web:2.0.0", replicas: 1))
            let foreign = try fleet.repository.git.commitSigned("web 2.0.0 by a stranger", with: stranger)
            try fleet.push()
            let refused = await remote.waitForNote(on: foreign) { $0.contains("\nresult: rejected") }
            #expect(refused?.contains("allowed_signers") == true, "\(refused ?? "")")
            #expect(
                try await fleet.records().allSatisfy { $0.revision == signed }, "an untrusted commit changed the fleet")
            let events = try await serve.events()
            for commit in [unsigned, foreign] {
                #expect(events.contains { $0.type == .commitRejected && $0.commit == commit }, "\(events)")
                #expect(!events.contains { $0.type == .commitAdmitted && $0.commit == commit })
            }
            #expect(events.contains { $0.type == .commitAdmitted && $0.commit == signed })
            // The fleet keeps running the signed commit, and its phase says the newest commit was rejected.
            let status = try await serve.request("GET", "/api/v1/status")
            let fleetStatus = try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any]
            #expect(fleetStatus?["result"] as? String == "rejected", "\(status.body)")
            let services = fleetStatus?["services"] as? [[String: Any]]
            #expect(services?.first?["result"] as? String == "converged", "\(status.body)")

            // history tells the story, newest first.
            let history = try await BuiltProducts.gitfleet([
                "history", "--repo", remote.fileURL, "--cache-dir",
                fleet.repository.directory.appending("history-cache"),
            ])
            #expect(history.status == 0, "\(history)")
            let lines = history.standardOutput.split(separator: "\n").filter { !$0.hasPrefix(" ") }
            #expect(lines.count == 3, "\(history.standardOutput)")
            #expect(
                lines.first?.contains("rejected") == true && lines.first?.contains(String(foreign.prefix(12))) == true)
            #expect(
                lines.last?.contains("converged") == true && lines.last?.contains(String(signed.prefix(12))) == true)
            let json = try await BuiltProducts.gitfleet([
                "history", "web", "--json", "--repo", remote.fileURL, "--cache-dir",
                fleet.repository.directory.appending("history-cache"),
            ])
            #expect(json.standardOutput.contains("\"result\" : \"converged\""), "\(json)")
            // The whole annotation, signature included (docs/auditing.md).
            let entries = try #require(
                try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
            let historyEntry = try #require(entries.first { $0["commit"] as? String == signed }, "\(json)")
            let signature = historyEntry["signature"] as? [String: Any]
            #expect(signature?["method"] as? String == "ssh", "\(historyEntry)")
            #expect(signature?["signer"] as? String == "tester@gitfleet.invalid", "\(historyEntry)")
            #expect(
                historyEntry["controller"] as? String != nil && historyEntry["at"] as? String != nil, "\(historyEntry)")
            #expect(historyEntry["fleet"] != nil, "\(historyEntry)")
            // Rejection reasons are for every reader of the remote: no local path, no raw ssh-keygen output.
            for note in [rejected, refused].compactMap({ $0 }) {
                #expect(!note.contains(keys), "a local path reached the note: \(note)")
                #expect(!note.contains("\\r") && !note.contains("\r"), "raw tool output reached the note: \(note)")
            }
            #expect(refused?.contains("not in allowed_signers") == true, "\(refused ?? "")")
        }
    }

    @Test("The note of a commit that removes a service lists it as removed, and history SERVICE shows the removal")
    func removalIsRecorded() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        try fleet.repository.git.write(
            "services/api.yaml", FleetRepository.service("api", image: "demo/web:1.0.0", replicas: 1))
        let both = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let first = await remote.waitForNote(on: both) { $0.contains("\nresult: converged") }
            #expect(first?.contains("api: {result: converged") == true, "\(first ?? "")\n\(serve.log)")

            try fleet.repository.git.remove("services/api.yaml")
            let removal = try fleet.repository.git.commit("retire api")
            try fleet.push()
            let note = await remote.waitForNote(on: removal) { $0.contains("\nresult: converged") }
            #expect(note?.contains("api: {result: removed, from: ") == true, "\(note ?? "")\n\(serve.log)")
            #expect(note?.contains("destroyed: 1") == true, "\(note ?? "")")
            #expect(try await fleet.records().allSatisfy { $0.service == "web" }, "api still has instances")

            let cache = fleet.repository.directory.appending("history-cache")
            let history = try await BuiltProducts.gitfleet([
                "history", "api", "--repo", remote.fileURL, "--cache-dir", cache,
            ])
            #expect(history.status == 0, "\(history)")
            let lines = history.standardOutput.split(separator: "\n").map(String.init)
            let heads = lines.filter { !$0.hasPrefix(" ") }
            #expect(heads.count == 2, "\(history.standardOutput)")
            #expect(heads.first?.contains(String(removal.prefix(12))) == true, "\(history.standardOutput)")
            #expect(lines.contains { $0.hasPrefix("    api: removed") }, "\(history.standardOutput)")

            let json = try await BuiltProducts.gitfleet([
                "history", "api", "--json", "--repo", remote.fileURL, "--cache-dir", cache,
            ])
            let entries = try #require(
                try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
            let services = entries.first?["services"] as? [String: [String: Any]]
            #expect(services?["api"]?["result"] as? String == "removed", "\(json.standardOutput)")
        }
    }

    @Test("While the remote is unreachable the fleet stays as it is and /readyz says why")
    func unreachableRemote() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            _ = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            #expect(try await serve.request("GET", "/readyz").status == 200)
            let before = try await fleet.records()
            try FileManager.default.moveItem(atPath: remote.path, toPath: remote.path + ".gone")
            var ready = (status: 200, body: "")
            for _ in 0..<50 where ready.status == 200 {
                try await Task.sleep(for: .milliseconds(200))
                ready = try await serve.request("GET", "/readyz")
            }
            #expect(ready.status == 503, "\(ready)")
            #expect(ready.body.contains("git"), "\(ready)")
            #expect(try await fleet.records() == before, "the fleet changed while Git was unreachable")
            #expect(try await serve.request("GET", "/healthz").status == 200)
            let metrics = try await serve.request("GET", "/metrics")
            #expect(metrics.body.contains("gitfleet_git_failures_total"), "\(metrics.body)")
        }
    }
}
