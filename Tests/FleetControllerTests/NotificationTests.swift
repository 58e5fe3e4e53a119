import Crypto
import FleetController
import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

@Suite("Notifications: targets, each provider's request, retries and what failing deliveries show")
struct NotificationTests {
    static let commit = "0123456789abcdef0123456789abcdef01234567"

    @Test(
        "a target's line parses and prints back the same",
        arguments: [
            "github repo=acme/fleet secretFile=/run/gh",
            "gitlab project=acme/fleet api=https://gitlab.example.com/api/v4 secretFile=/run/gl context=deploy",
            "gitea repo=acme/fleet api=https://gitea.example.com/api/v1 secretFile=/run/gt",
            "slack secretFile=/run/slack events=deployment-finished+rollout-rolled-back",
            "github repo=acme/fleet secretFile=/run/gh events=deployment-finished",
            "github repo=acme/fleet secretFile=/run/gh deployments=production",
            "webhook url=https://hooks.example.com/x secretFile=/run/key",
        ])
    func parses(line: String) throws {
        let target = try NotificationTarget.parse(line).get()
        #expect(try NotificationTarget.parse(target.description).get() == target)
    }

    @Test(
        "a bad target says what is wrong",
        arguments: [
            ("teams secretFile=/x", "'teams' is not a notification provider"),
            ("github secretFile=/x", "needs repo="),
            ("github repo=a/b", "needs secretFile=PATH"),
            ("gitea repo=a/b secretFile=/x", "needs api=URL"),
            ("webhook url=ftp://x secretFile=/x", "is not an http:// or https:// URL"),
            ("slack secretFile=/x events=rollout-done", "'rollout-done' in the slack target is not an event type"),
            ("github repo=a/b secretFile=/x events=rollout-converged", "'rollout-converged' cannot set the github"),
            ("slack secretFile=/x token=abc", "has no key 'token'"),
            ("gitlab project=a/b secretFile=/x deployments=production", "has no key 'deployments'"),
        ])
    func rejects(line: String, expected: String) {
        guard case .failure(let error) = NotificationTarget.parse(line) else {
            Issue.record("\(line) parsed")
            return
        }
        #expect(error.message.contains(expected), "\(error.message)")
    }

    @Test("the setting reads targets comma-separated from the environment and as a YAML list from the file")
    func setting() throws {
        let configuration = try ControllerConfiguration.resolve(
            file: nil,
            environment: [
                "GITFLEET_NOTIFICATIONS":
                    "github repo=acme/fleet secretFile=/run/gh,webhook url=http://127.0.0.1:9/h secretFile=/run/k"
            ], flags: ["repo": "/tmp/fleet"])
        #expect(configuration.notifications.map(\.provider) == [.github, .webhook])
        let file = try SettingsFile.parse(
            Array(
                """
                repo: /tmp/fleet
                notifications:
                  - gitlab project=acme/fleet secretFile=/run/gl
                  - slack secretFile=/run/slack events=rollout-failed
                """.utf8), file: "config.yaml")
        let fromFile = try ControllerConfiguration.resolve(file: file, environment: [:], flags: [:])
        #expect(fromFile.notifications.map(\.provider) == [.gitlab, .slack])
        #expect(fromFile.notifications.last?.events == [.rolloutFailed])
        #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(
                file: nil, environment: [:], flags: ["repo": "/tmp/fleet", "notifications": "github secretFile=/x"])
        }
    }

    @Test("retries wait 1 s, doubling to at most 60 s, and stop after the last try")
    func backoff() {
        let retry = NotificationRetry(attempts: 9)
        let delays = (1...9).map { retry.delay(after: $0) }
        #expect(
            delays == [
                .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(32), .seconds(60),
                .seconds(60), nil,
            ])
    }

    /// A notifier over a fresh event log, telling `targets`, with a secret file holding `secret`.
    static func notifier(
        _ lines: [String], secret: String, clock: any FleetClock = SimulatedClock(), metrics: FleetMetrics,
        directory: TemporaryDirectory
    ) throws -> (Notifier, EventLog) {
        let secretFile = directory.path + "/secret"
        try (secret + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        let targets = try lines.map { try NotificationTarget.parse($0 + " secretFile=\(secretFile)").get() }
        let events = EventLog(firstID: 1, metrics: metrics)
        let notifier = Notifier(
            targets: targets, events: events,
            address: ControllerAddress(externalURL: "http://controller.example:8080/"),
            retry: NotificationRetry(attempts: 3), clock: clock, metrics: metrics)
        return (notifier, events)
    }

    /// Runs `notifier` while `body` runs, then stops it.
    static func running(_ notifier: Notifier, _ body: () async throws -> Void) async throws {
        let task = Task { try await notifier.run() }
        defer { task.cancel() }
        try await body()
    }

    /// Waits (polling, up to 30 s) until `condition` holds.
    static func poll(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// Waits (polling, up to 30 s) until `server` has `count` requests.
    static func requests(_ server: RecordingHTTPServer, count: Int) async throws -> [RecordingHTTPServer.Request] {
        try await poll { server.requests.count >= count }
        try #require(server.requests.count >= count, "only \(server.requests.count) of \(count) requests arrived")
        return server.requests
    }

    /// A recording server, and a notifier telling the one target `line` (with a secret file holding `secret`;
    /// `{url}` in either stands for the server's base URL), running while `body` runs.
    static func withTarget(
        _ line: String, secret: String, metrics: FleetMetrics = FleetMetrics(),
        _ body: (RecordingHTTPServer, EventLog) async throws -> Void
    ) async throws {
        let server = try await RecordingHTTPServer.start()
        defer { Task { await server.close() } }
        let directory = try TemporaryDirectory()
        let (notifier, events) = try Self.notifier(
            [line.replacingOccurrences(of: "{url}", with: server.url)],
            secret: secret.replacingOccurrences(of: "{url}", with: server.url), metrics: metrics, directory: directory)
        try await Self.running(notifier) { try await body(server, events) }
    }

    /// A deployment of ``commit`` as the reconciler tells it: started, then finished with `result`; with
    /// `perService`, each service's rollout events in between (which no commit status follows).
    static func deployment(
        _ events: EventLog, result: String = "converged", services: String, reason: String? = nil,
        by: String? = nil, perService: Bool = false
    ) async {
        let names = services.split(separator: " ").map { String($0.prefix { $0 != "=" }) }
        await events.emit(
            .deploymentStarted, commit: Self.commit, "deployment of 0123456789ab started",
            fields: ["fleet": "shop", "services": .number(names.count)])
        if perService {
            for name in names {
                await events.emit(.rolloutStarted, service: name, commit: Self.commit, "\(name): rollout started")
                await events.emit(.rolloutConverged, service: name, commit: Self.commit, "\(name): converged")
            }
        }
        var fields: [String: FleetEvent.Value] = ["result": .text(result), "services": .text(services)]
        if let reason { fields["reason"] = .text(reason) }
        if let by { fields["by"] = .text(by) }
        await events.emit(.deploymentFinished, commit: Self.commit, "0123456789ab \(result)", fields: fields)
    }

    static func json(_ request: RecordingHTTPServer.Request) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(request.body))
    }

    @Test(
        "GitHub: POST /repos/OWNER/REPO/statuses/SHA with a Bearer token, pending then success", .timeLimit(.minutes(1))
    )
    func github() async throws {
        let metrics = FleetMetrics()
        try await Self.withTarget(
            "github repo=acme/fleet api={url}", secret: "ghp_secret", metrics: metrics
        ) { server, events in
            await Self.deployment(events, services: "api=converged web=converged", perService: true)
            let requests = try await Self.requests(server, count: 2)
            for request in requests {
                #expect(request.method == "POST")
                #expect(request.target == "/repos/acme/fleet/statuses/\(Self.commit)")
                #expect(request.headers["authorization"] == "Bearer ghp_secret")
                #expect(request.headers["accept"] == "application/vnd.github+json")
                #expect(request.headers["x-github-api-version"] == "2022-11-28")
                #expect(request.headers["content-type"] == "application/json")
                #expect(!request.text.contains("ghp_secret"), "the body must not hold the secret")
            }
            let bodies = try requests.map(Self.json)
            #expect(bodies.map { $0["state"] } == ["pending", "success"])
            #expect(bodies.allSatisfy { $0["context"] == "gitfleet" })
            #expect(bodies.allSatisfy { $0["target_url"] == "http://controller.example:8080/api/v1/status" })
            #expect(bodies[0]["description"] == "deploying 2 services")
            #expect(bodies[1]["description"] == "converged: api, web")
            #expect(server.requests.count == 2, "a service's rollout sets no commit status")
            // Counted once the answer is read, a moment after the server recorded the request.
            let delivered: [String: String] = ["target": "github:acme/fleet", "result": "delivered"]
            try await Self.poll { metrics.value(of: .notifications, labels: delivered) == 2 }
            #expect(metrics.value(of: .notifications, labels: delivered) == 2)
        }
    }

    @Test("GitLab: POST /projects/ID/statuses/SHA with PRIVATE-TOKEN, running then failed", .timeLimit(.minutes(1)))
    func gitlab() async throws {
        try await Self.withTarget(
            "gitlab project=acme/fleet api={url}/api/v4", secret: "glpat-secret"
        ) { server, events in
            await Self.deployment(
                events, result: "rolled-back", services: "api=converged web=rolled-back", reason: "web: unhealthy")
            let requests = try await Self.requests(server, count: 2)
            for request in requests {
                #expect(request.method == "POST")
                #expect(request.target == "/api/v4/projects/acme%2Ffleet/statuses/\(Self.commit)")
                #expect(request.headers["private-token"] == "glpat-secret")
                #expect(!request.text.contains("glpat-secret"))
            }
            let bodies = try requests.map(Self.json)
            #expect(bodies.map { $0["state"] } == ["running", "failed"])
            #expect(bodies.allSatisfy { $0["name"] == "gitfleet" })
            #expect(bodies[1]["description"] == "rolled back: web: unhealthy")
        }
    }

    @Test("Gitea/Forgejo: POST /repos/OWNER/REPO/statuses/SHA with Authorization: token", .timeLimit(.minutes(1)))
    func gitea() async throws {
        try await Self.withTarget("gitea repo=acme/fleet api={url}/api/v1", secret: "gitea-secret") { server, events in
            await events.emit(
                .commitRejected, commit: Self.commit, "rejected 0123456: bad manifest",
                fields: ["reason": "bad manifest"])
            let request = try #require(try await Self.requests(server, count: 1).first)
            #expect(request.method == "POST")
            #expect(request.target == "/api/v1/repos/acme/fleet/statuses/\(Self.commit)")
            #expect(request.headers["authorization"] == "token gitea-secret")
            #expect(try Self.json(request)["state"] == "failure")
            #expect(try Self.json(request)["context"] == "gitfleet")
            #expect(try Self.json(request)["description"] == "rejected: bad manifest")
        }
    }

    @Test("Slack: the secret file holds the incoming webhook's URL; the body is {\"text\": …}", .timeLimit(.minutes(1)))
    func slack() async throws {
        try await Self.withTarget("slack events=rollout-rolled-back", secret: "{url}/services/T000/B000/XXXX") {
            server, events in
            await events.emit(.rolloutRolledBack, service: "web", commit: Self.commit, "web: rolled back")
            let request = try #require(try await Self.requests(server, count: 1).first)
            #expect(request.method == "POST")
            #expect(request.target == "/services/T000/B000/XXXX")
            #expect(try Self.json(request)["text"]?.contains("web: rolled back") == true)
        }
    }

    @Test("a generic webhook gets the event's JSON, signed with HMAC-SHA256, and its id", .timeLimit(.minutes(1)))
    func webhook() async throws {
        try await Self.withTarget("webhook url={url}/hooks/gitfleet events=rollout-converged", secret: "hmac-key") {
            server, events in
            let event = await events.emit(.rolloutConverged, service: "web", commit: Self.commit, "web: converged")
            let request = try #require(try await Self.requests(server, count: 1).first)
            #expect(request.method == "POST")
            #expect(request.target == "/hooks/gitfleet")
            #expect(request.headers["x-gitfleet-event"] == "rollout-converged")
            #expect(request.headers["x-gitfleet-delivery"] == "\(event.id)")
            let mac = HMAC<SHA256>.authenticationCode(
                for: request.body, using: SymmetricKey(data: Array("hmac-key".utf8)))
            #expect(request.headers["x-gitfleet-signature"] == "sha256=\(Hex.lowercase(mac))")
            let decoded = try FleetEvent.decoder().decode(FleetEvent.self, from: Data(request.body))
            // Times travel in milliseconds, so the rest is compared.
            #expect(decoded.id == event.id && decoded.type == event.type && decoded.commit == event.commit)
            #expect(decoded.message == event.message && decoded.service == event.service)
            #expect(!request.text.contains("hmac-key"))
        }
    }

    @Test(
        "a 503 is tried again after back-off; a 4xx is dropped at once, counted, and a readiness reason",
        .timeLimit(.minutes(1)))
    func retries() async throws {
        let server = try await RecordingHTTPServer.start { request, before in
            if request.target.hasPrefix("/flaky") { return before < 2 ? 503 : 201 }
            return 401
        }
        defer { Task { await server.close() } }
        let directory = try TemporaryDirectory()
        let metrics = FleetMetrics()
        let clock = SimulatedClock()
        let (notifier, events) = try Self.notifier(
            ["webhook url=\(server.url)/flaky events=rollout-converged"], secret: "k", clock: clock, metrics: metrics,
            directory: directory)
        try await Self.running(notifier) {
            await events.emit(.rolloutConverged, service: "web", commit: Self.commit, "web: converged")
            _ = try await Self.requests(server, count: 3)
            try await Self.poll {
                metrics.value(of: .notifications, labels: ["target": "webhook:127.0.0.1", "result": "delivered"]) == 1
            }
            #expect(metrics.value(of: .notificationFailures, labels: ["target": "webhook:127.0.0.1"]) == 2)
            #expect(clock.elapsedTime == .seconds(3), "waits of 1 s then 2 s")
            #expect(notifier.readinessProblems().isEmpty)
        }
        let refusing = try Self.notifier(
            ["webhook url=\(server.url)/refusing events=rollout-failed"], secret: "k", metrics: metrics,
            directory: directory)
        try await Self.running(refusing.0) {
            await refusing.1.emit(.rolloutFailed, service: "web", commit: Self.commit, "web: failed")
            try await Self.poll { !refusing.0.readinessProblems().isEmpty }
            #expect(
                refusing.0.readinessProblems() == [
                    "notifications: webhook:127.0.0.1 failing: answered HTTP 401 (1 notifications dropped in a row)"
                ])
            #expect(server.requests.filter { $0.target == "/refusing" }.count == 1, "a 401 is not tried again")
        }
    }

    @Test(
        "a superseded commit's status is each forge's word for stopped, saying by which commit",
        .timeLimit(.minutes(1)),
        arguments: [
            ("github repo=acme/fleet api={url}", "error"),
            ("gitlab project=acme/fleet api={url}", "canceled"),
            ("gitea repo=acme/fleet api={url}", "warning"),
        ])
    func superseded(line: String, state: String) async throws {
        try await Self.withTarget(line, secret: "token") { server, events in
            await Self.deployment(
                events, result: "superseded", services: "web=in-progress", by: String(repeating: "f", count: 40))
            let bodies = try await Self.requests(server, count: 2).map(Self.json)
            #expect(bodies.last?["state"] == state)
            #expect(bodies.last?["description"] == "superseded by ffffffffffff")
        }
    }

    @Test("a bad target in the configuration file is an error that names the file, line and setting")
    func locatedError() throws {
        let file = try SettingsFile.parse(
            Array(
                """
                repo: /tmp/fleet
                notifications:
                  - github repo=acme/fleet secretFile=/run/gh events=rollout-converged
                """.utf8), file: "config.yaml")
        do {
            _ = try ControllerConfiguration.resolve(file: file, environment: [:], flags: [:])
            Issue.record("a forge target that names a rollout event was accepted")
        } catch let problems as ControllerConfiguration.ProblemList {
            #expect("\(problems)".contains("config.yaml:"), "\(problems)")
            #expect("\(problems)".contains("notifications"), "\(problems)")
            #expect("\(problems)".contains("'rollout-converged' cannot set the github target's commit status"))
        }
    }

    @Test("links name the external URL when set, else the address the server is bound to, once it is")
    func address() async throws {
        #expect(
            await ControllerAddress(externalURL: "https://gitfleet.example.com/").statusURL()
                == "https://gitfleet.example.com/api/v1/status")
        let bound = ControllerAddress(externalURL: nil)
        #expect(bound.current == nil)
        let waiting = Task { await bound.statusURL() }
        try await Task.sleep(for: .milliseconds(50))
        bound.listening(host: "127.0.0.1", port: 41234)
        #expect(await waiting.value == "http://127.0.0.1:41234/api/v1/status")
        bound.listening(host: "127.0.0.1", port: 9)
        #expect(bound.current == "http://127.0.0.1:41234", "the first bound address stays")
        let wildcard = ControllerAddress(externalURL: nil)
        wildcard.listening(host: "0.0.0.0", port: 8080)
        #expect(wildcard.current == "http://\(ProcessInfo.processInfo.hostName):8080")
        let cancelled = Task { await ControllerAddress(externalURL: nil).baseURL() }
        cancelled.cancel()
        #expect(await cancelled.value == nil, "a waiter that is cancelled stops waiting")
        let configuration = try ControllerConfiguration.resolve(
            file: nil, environment: ["GITFLEET_EXTERNAL_URL": "https://gitfleet.example.com/"],
            flags: ["repo": "/tmp/fleet"])
        #expect(configuration.externalURL == "https://gitfleet.example.com")
        #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(
                file: nil, environment: [:], flags: ["repo": "/tmp/fleet", "externalUrl": "gitfleet.example.com"])
        }
    }

    @Test(
        "GitHub deployments: one per commit in the named environment, its statuses following the commit's deployment",
        .timeLimit(.minutes(1)))
    func githubDeployments() async throws {
        let server = try await RecordingHTTPServer.start(body: { request in
            request.target.hasSuffix("/deployments") ? #"{"id": 42, "environment": "production"}"# : "{}"
        })
        defer { Task { await server.close() } }
        let directory = try TemporaryDirectory()
        let (notifier, events) = try Self.notifier(
            ["github repo=acme/fleet api=\(server.url) deployments=production"], secret: "ghp_secret",
            metrics: FleetMetrics(), directory: directory)
        try await Self.running(notifier) {
            await Self.deployment(events, services: "web=converged")
            let requests = try await Self.requests(server, count: 5)
            #expect(
                requests.map(\.target) == [
                    "/repos/acme/fleet/statuses/\(Self.commit)", "/repos/acme/fleet/deployments",
                    "/repos/acme/fleet/deployments/42/statuses", "/repos/acme/fleet/statuses/\(Self.commit)",
                    "/repos/acme/fleet/deployments/42/statuses",
                ])
            for request in requests {
                #expect(request.method == "POST")
                #expect(request.headers["authorization"] == "Bearer ghp_secret")
                #expect(request.headers["x-github-api-version"] == "2022-11-28")
                #expect(!request.text.contains("ghp_secret"))
            }
            let create = try #require(
                try JSONSerialization.jsonObject(with: Data(requests[1].body)) as? [String: Any])
            #expect(create["ref"] as? String == Self.commit)
            #expect(create["environment"] as? String == "production")
            #expect(create["auto_merge"] as? Bool == false, "a deployment never merges branches")
            #expect((create["required_contexts"] as? [Any])?.isEmpty == true, "gitfleet's own status is pending")
            #expect(try Self.json(requests[2])["state"] == "in_progress")
            #expect(try Self.json(requests[4])["state"] == "success")
            #expect(try Self.json(requests[4])["log_url"] == "http://controller.example:8080/api/v1/status")

            // A deployment that finishes without one made (the controller restarted) gets one first.
            var fields: [String: FleetEvent.Value] = ["result": "superseded", "services": "web=in-progress"]
            fields["by"] = .text(String(repeating: "f", count: 40))
            await events.emit(.deploymentFinished, commit: Self.commit, "superseded", fields: fields)
            let more = try await Self.requests(server, count: 8)
            #expect(more[6].target == "/repos/acme/fleet/deployments")
            #expect(try Self.json(more[7])["state"] == "inactive")
            #expect(try Self.json(more[7])["description"] == "superseded by ffffffffffff")
        }
    }
}
