import FleetController
import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// `gitfleet serve --log-format json` as a log collector reads it: the real binary, a real rollout, every line.
@Suite("gitfleet serve logs for a log collector: JSON lines with metadata, no secrets", .serialized)
struct ServeLoggingTests {
    /// Every line of `log` parsed as a JSON object; a line that is not one is recorded as an issue.
    static func objects(_ log: String) -> [[String: Any]] {
        log.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                Issue.record("not a JSON object: \(line)")
                return nil
            }
            return object
        }
    }

    @Test(
        "Through a rollout announced by a webhook, every line is a JSON object with timestamp, level and message; the rollout's lines carry service and commit, the webhook's its delivery; no secret is printed"
    )
    func jsonThroughARollout() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        let token = "tok-\(UUID().uuidString)"
        let webhookSecret = "whsec-\(UUID().uuidString)"
        let tokenFile = fleet.repository.directory.appending("token")
        let secretFile = fleet.repository.directory.appending("github-secret")
        try "\(token)\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try "\(webhookSecret)\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let delivery = "delivery-\(UUID().uuidString.prefix(8))"
        var log = ""
        // Polls far apart: the webhook is what makes the controller see v2.
        try await fleet.withServe(
            remote,
            extra: [
                "--log-format", "json", "--log-level", "debug", "--poll-interval", "10m", "--token-file", tokenFile,
                "--github-secret-file", secretFile,
            ]
        ) { serve in
            let first = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            try #require(first != nil, "\(serve.log)")
            let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 2)
            try fleet.push()
            let body = Data(#"{"ref": "refs/heads/main", "after": "\#(v2)"}"#.utf8)
            let forged = try await serve.request(
                "POST", "/webhooks/github", body: body,
                headers: [
                    "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "forged-1",
                    "X-Hub-Signature-256": ServeTrustAndWebhookTests.signature(body, secret: "guess"),
                ])
            #expect(forged.status == 401, "\(forged)")
            let genuine = try await serve.request(
                "POST", "/webhooks/github", body: body,
                headers: [
                    "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery,
                    "X-Hub-Signature-256": ServeTrustAndWebhookTests.signature(body, secret: webhookSecret),
                ])
            #expect(genuine.status == 202, "\(genuine)")
            let second = await remote.waitForNote(on: v2, timeout: .seconds(90)) { $0.contains("\nresult: converged") }
            try #require(second != nil, "\(serve.log)")
            #expect(await serve.stop(), "serve did not stop on SIGTERM")
            log = serve.log

            let lines = Self.objects(log)
            #expect(lines.count > 20, "\(log)")
            let levels = Set(["trace", "debug", "info", "notice", "warning", "error", "critical"])
            for line in lines {
                #expect(line["timestamp"] is String && line["message"] is String && line["label"] is String, "\(line)")
                #expect(levels.contains(line["level"] as? String ?? ""), "\(line)")
            }
            #expect(lines.contains { $0["level"] as? String == "debug" }, "--log-level debug lets debug lines through")

            // The rollout of v2: started, each instance's steps and the end, each naming the service and commit.
            let rollout = lines.filter {
                ($0["event"] as? String)?.hasPrefix("rollout-") == true && $0["commit"] as? String == v2
            }
            #expect(
                Set(rollout.compactMap { $0["event"] as? String }).isSuperset(of: [
                    "rollout-started", "rollout-converged",
                ]), "\(rollout)")
            #expect(rollout.allSatisfy { $0["service"] as? String == "web" }, "\(rollout)")
            let created = lines.filter { $0["event"] as? String == "instance-created" && $0["commit"] as? String == v2 }
            #expect(created.count == 2, "\(created)")
            #expect(created.allSatisfy { $0["service"] as? String == "web" && $0["instance"] is String }, "\(created)")
            let destroyed = lines.filter {
                $0["event"] as? String == "instance-destroyed" && $0["commit"] as? String == v1
            }
            #expect(destroyed.count == 2 && destroyed.allSatisfy { $0["service"] as? String == "web" }, "\(destroyed)")
            #expect(
                lines.contains {
                    $0["label"] as? String == "gitfleet.events" && $0["controller"] as? String == "gitfleet-test"
                })

            // The webhook's delivery id follows the commit from the HTTP request to the watcher that saw it.
            let webhook = lines.filter { $0["delivery"] as? String == delivery }
            #expect(webhook.contains { $0["label"] as? String == "gitfleet.http" }, "\(webhook)")
            #expect(
                webhook.contains { $0["label"] as? String == "gitfleet.watcher" && $0["commit"] as? String == v2 },
                "\(webhook)")
            #expect(
                lines.contains { $0["delivery"] as? String == "forged-1" && $0["level"] as? String == "warning" },
                "the forged delivery is logged as a warning")
            #expect(
                lines.contains {
                    // A deployment's end is logged once, as its event.
                    $0["label"] as? String == "gitfleet.events" && $0["event"] as? String == "deployment-finished"
                        && $0["commit"] as? String == v2 && $0["result"] as? String == "converged"
                })
        }
        #expect(!log.contains(token), "the access token is in the log")
        #expect(!log.contains(webhookSecret), "the webhook secret is in the log")
    }

    @Test("On etcd with a password, the log names the leader and never the password")
    func etcdPasswordAndLeader() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let password = "pw-\(UUID().uuidString)"
        for arguments in [
            ["role", "add", "root"], ["user", "add", "root:\(password)", "--interactive=false"],
            ["user", "grant-role", "root", "root"], ["auth", "enable"],
        ] {
            let outcome = try BuiltProducts.runBlocking(
                "/usr/bin/etcdctl", ["--endpoints", etcd.clientURL] + arguments)
            try #require(outcome.status == 0, "etcdctl \(arguments.first ?? ""): \(outcome)")
        }
        var fleet = try EmbeddedFleet()
        fleet.scope = RuntimeScope.derived(fromRegistry: "etcd:/logs")
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        let passwordFile = fleet.repository.directory.appending("etcd-password")
        try "\(password)\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        var log = ""
        try await fleet.withServe(
            remote,
            extra: [
                "--log-format", "json", "--log-level", "trace", "--registry", "etcd", "--etcd-endpoints",
                etcd.clientURL,
                "--etcd-prefix", "/logs", "--etcd-username", "root", "--etcd-password-file", passwordFile,
                "--lease-ttl", "3s",
            ]
        ) { serve in
            let note = await remote.waitForNote(on: v1, timeout: .seconds(90)) { $0.contains("\nresult: converged") }
            #expect(note != nil, "\(serve.log)")
            #expect(await serve.stop(), "serve did not stop on SIGTERM")
            log = serve.log
            let lines = Self.objects(log)
            #expect(
                lines.contains {
                    $0["leader"] as? String == "gitfleet-test" && $0["label"] as? String == "gitfleet.election"
                },
                "\(log)")
            #expect(
                lines.contains {
                    $0["event"] as? String == "leadership-gained" && $0["leader"] as? String == "gitfleet-test"
                },
                "\(log)")
            #expect(lines.contains { $0["level"] as? String == "trace" }, "--log-level trace lets the probes through")
        }
        #expect(!log.contains(password), "the etcd password is in the log")
    }
}

@Suite("gitfleet apply logs to stderr at --log-level", .serialized)
struct ApplyLoggingTests {
    @Test(
        "By default (notice) apply's stderr has no instance steps; at info every instance step is a line with its metadata"
    )
    func followsLogLevel() async throws {
        let fleet = try EmbeddedFleet()
        do {
            let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
            let quiet = try await fleet.apply()
            #expect(quiet.status == 0, "\(quiet)")
            #expect(!quiet.standardError.contains("event=instance-created"), "\(quiet)")
            let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 1)
            let told = try await fleet.apply(["--log-level", "info"])
            #expect(told.status == 0, "\(told)")
            let created = told.standardError.split(separator: "\n").filter { $0.contains("event=instance-created") }
            #expect(created.count == 1, "\(told)")
            #expect(created.allSatisfy { $0.contains("service=web") && $0.contains("commit=\(v2)") }, "\(told)")
            #expect(
                told.standardError.contains("event=instance-destroyed") && told.standardError.contains(v1), "\(told)")
            #expect(!told.standardOutput.contains("event="), "log lines stay off stdout: \(told)")
            let refused = try await fleet.apply(["--log-level", "loud"])
            #expect(refused.status != 0 && refused.standardError.contains("--log-level takes one of"), "\(refused)")
        } catch {
            await fleet.tearDown()
            throw error
        }
        await fleet.tearDown()
    }
}
