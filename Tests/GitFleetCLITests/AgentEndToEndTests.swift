import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// Discovery agents end to end, on real parts only: `gitfleet serve` (the process runtime, no local discovery output)
/// and two load-balancer hosts, each a real nginx with `proxy_next_upstream off` fed by its own `gitfleet agent`
/// process, with wrk sending requests through both nginx while the fleet rolls out. Nothing may fail: a request
/// nginx sends to an instance that has left service is a 502 here, not a retry, so any drain that did not wait for
/// both agents shows.
@Suite("Discovery agents: two load balancers in front of gitfleet serve, end to end", .serialized)
struct AgentEndToEndTests {
    static let agents = ["lb-a", "lb-b"]

    @Test(
        "wrk through two nginx, each fed by its own agent, sees no failure in a rolling, a blueGreen and a canary rollout"
    )
    func threeRolloutsThroughTwoAgents() async throws {
        let started = ContinuousClock.now
        // lb-a reloads as a host does (nginx -t first) and slowly, 2.5 s after each change: longer than the drain
        // delay and blueGreen's scaleDownDelay, so an instance stopped without waiting for lb-a's report would still
        // get its requests. lb-b reloads as the chart's sidecar does (SIGHUP to nginx's master).
        try await Self.withConvergedFleet(hosts: [(.checked, .milliseconds(2500)), (.signal, .zero)]) {
            fleet, remote, serve, hosts in
            for (image, strategy) in [("2.0.0", "rolling"), ("1.1.0", "blueGreen"), ("1.0.0", "canary")] {
                let traffic = try Traffic(through: hosts)
                let commit = try fleet.commitAndPush(Self.web("demo/web:\(image)", strategy: strategy))
                let note = await remote.waitForNote(on: commit, timeout: .seconds(120)) {
                    $0.contains("\nresult: converged")
                }
                let results = try await traffic.finish()
                #expect(note?.contains("result: converged") == true, "\(strategy):\n\(serve.log)")
                Traffic.expectNoFailure(results, during: "the \(strategy) rollout to \(image)", hosts: hosts)
                // The old set left every nginx before it was destroyed, so only the new version answers now.
                for host in hosts {
                    let versions = try await Self.versions(through: host, count: 10)
                    #expect(versions == [image], "\(host.name) after the \(strategy) rollout: \(versions)")
                }
            }
            let checked = hosts[0]
            #expect(checked.reloadChecks.allSatisfy { $0 == 0 }, "\(checked.name) wrote a file nginx -t refused")
            #expect(checked.reloadChecks.count >= 3, "\(checked.name) reloaded \(checked.reloadChecks.count) times")
        }
        print("agents end to end: three rollouts through two agents took \(ContinuousClock.now - started)")
    }

    @Test(
        "an agent killed mid-rollout holds the next drain with the old instance serving, readiness names it, and the rollout finishes once it is back"
    )
    func stoppedAgentHoldsTheDrain() async throws {
        let started = ContinuousClock.now
        try await Self.withConvergedFleet { fleet, remote, serve, hosts in
            let b = hosts[1]
            let old = try await fleet.records().filter { $0.state == .serving }
            #expect(old.count == 2)

            let traffic = try Traffic(through: hosts)
            let v2 = try fleet.commitAndPush(Self.web("demo/web:slow"))
            // Before the first new instance serves (it takes 1.5 s to listen), so no drain has begun.
            try await fleet.waitUntil("the first v2 instance exists", log: serve) { records in
                records.contains { $0.revision == v2 }
            }
            b.killAgent()

            // lb-a is behind too for the moment between a publication and its reload: wait for it to catch up.
            _ = try await Self.poll("readiness names lb-b, and lb-a no longer", log: serve.log + b.agentLog) {
                let ready = try await serve.request("GET", "/readyz")
                return ready.status == 503 && ready.body.contains("agent lb-b") && !ready.body.contains("agent lb-a")
                    ? ready.body : nil
            }
            let agents = try await Self.poll("lb-a is current and lb-b is not", log: serve.log) {
                let agents = try await serve.agentEntries()
                return agents["lb-a"]?["state"] as? String == "current"
                    && ["behind", "silent"].contains(agents["lb-b"]?["state"] as? String) ? agents : nil
            }
            #expect(agents["lb-b"]?["required"] as? Bool == true, "\(agents)")

            // Held: for longer than a drain delay and an agent timeout, every old instance stays live (serving,
            // or draining with its drain clock not started) and its process answers; the rollout does not end.
            let holdEnds = ContinuousClock.now.advanced(by: .seconds(8))
            var sawDraining = false
            while ContinuousClock.now < holdEnds {
                let records = try await fleet.records()
                for record in old {
                    let now = records.first { $0.id == record.id }
                    #expect(
                        now?.state == .serving || now?.state == .draining,
                        "\(record.id) left while lb-b was down: \(now.map { "\($0.state)" } ?? "gone")\n\(serve.log)"
                    )
                    sawDraining = sawDraining || now?.state == .draining
                    let port = try #require(record.ports["http"])
                    let answer = try? await LoopbackHTTP.get(port: port, path: "/", timeout: .seconds(5))
                    #expect(answer?.status == 200, "\(record.id) no longer answers while lb-b was down")
                }
                #expect(remote.gitfleetNote(on: v2)?.contains("result: converged") != true)
                try await Task.sleep(for: .milliseconds(500))
            }
            print("agents end to end: an old instance was draining (held) while lb-b was down: \(sawDraining)")

            try b.startAgent()
            let note = await remote.waitForNote(on: v2, timeout: .seconds(120)) {
                $0.contains("\nresult: converged")
            }
            let results = try await traffic.finish()
            #expect(note?.contains("result: converged") == true, "\(serve.log)\n\(b.agentLog)")
            Traffic.expectNoFailure(results, during: "the rollout with lb-b killed and restarted", hosts: hosts)
            _ = try await Self.poll("both agents are current and the controller ready", log: serve.log) {
                let agents = try await serve.agentEntries()
                let ready = try await serve.request("GET", "/readyz")
                return Self.agents.allSatisfy { agents[$0]?["state"] as? String == "current" } && ready.status == 200
                    ? true : nil
            }
        }
        print("agents end to end: the held drain took \(ContinuousClock.now - started)")
    }

    @Test("the leader is killed mid-rollout: the agents follow the standby and no request fails through either nginx")
    func agentsFollowTheStandby() async throws {
        let started = ContinuousClock.now
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let fleet = try EtcdFleet(etcd: etcd)
        let v1 = try fleet.fleet.commitAndPush(Self.web("demo/web:1.0.0", replicas: 3))
        try await fleet.run(controllers: ["controller-a", "controller-b"], extra: Self.requiringAgents) { controllers in
            let (a, b) = (controllers[0], controllers[1])
            let urls = [try await a.baseURL(), try await b.baseURL()]
            try await Self.withHosts(controllers: urls) { hosts in
                let converged = await fleet.remote.waitForNote(on: v1, timeout: .seconds(90)) {
                    $0.contains("\nresult: converged")
                }
                #expect(converged?.contains("controller: controller-a") == true, "\(a.log)\n\(b.log)")
                for host in hosts { try await host.waitUntilServing() }

                let traffic = try Traffic(through: hosts)
                let v2 = try fleet.fleet.commitAndPush(Self.web("demo/web:slow", replicas: 3))
                try await fleet.waitUntil("the first v2 instance serves") { records in
                    records.contains { $0.revision == v2 && $0.state == .serving }
                        && records.contains { $0.revision == v1 && $0.state == .serving }
                }
                a.killAbruptly()
                try await fleet.waitUntil("the standby leads", timeout: .seconds(30)) { _ in
                    (try? await b.status()["role"] as? String) == "leader"
                }
                let done = await fleet.remote.waitForNote(on: v2, timeout: .seconds(120)) {
                    $0.contains("\nresult: converged")
                }
                let results = try await traffic.finish()
                #expect(done?.contains("controller: controller-b") == true, "\(b.log)")
                Traffic.expectNoFailure(results, during: "the rollout whose leader was killed", hosts: hosts)
                try await fleet.expectOnly(revision: v2, replicas: 3)
                _ = try await Self.poll("both agents follow controller-b and are current", log: b.log) {
                    let agents = try await b.agentEntries()
                    return Self.agents.allSatisfy {
                        agents[$0]?["state"] as? String == "current" && agents[$0]?["following"] as? String == urls[1]
                    } ? true : nil
                }
            }
        }
        print("agents end to end: the failover took \(ContinuousClock.now - started)")
    }

    // MARK: - Set-up

    /// The controller settings of every test here: both agents required, silence noticed within seconds.
    static let requiringAgents = ["--required-agents", agents.joined(separator: ","), "--agent-timeout", "5s"]

    /// The web service on the demo image, paced for load through nginx: instances serve once healthy, drains
    /// wait a second (time for nginx's new workers to take over after a reload returns).
    static func web(_ image: String, strategy: String = "rolling", replicas: Int = 2) -> String {
        let steps: String
        switch strategy {
        case "blueGreen": steps = ", scaleDownDelay: 1s"
        case "canary": steps = ", steps: [{weight: 50, pause: 1s}]"
        default: steps = ""
        }
        return FleetRepository.service("web", image: image, replicas: replicas, progressDeadline: "60s")
            .replacingOccurrences(of: "rollout: {", with: "rollout: {strategy: \(strategy), ")
            .replacingOccurrences(of: "minReady: 0s}", with: "minReady: 0s\(steps)}")
            .replacingOccurrences(of: "drain: {delay: 200ms", with: "drain: {delay: 1s")
    }

    /// Runs `body` with `gitfleet serve` requiring both agents (the process runtime, SQLite, no local output), web
    /// 1.0.0 (rolling) converged, and both load-balancer hosts serving it; stops everything however `body` ends.
    static func withConvergedFleet(
        hosts reloads: [(LoadBalancerHost.Reload, Duration)] = [(.checked, .zero), (.checked, .zero)],
        _ body: (EmbeddedFleet, GitFixture, ServeProcess, [LoadBalancerHost]) async throws -> Void
    ) async throws {
        let fleet = try EmbeddedFleet()
        try fleet.installSlowImage()
        let remote = try fleet.remote()
        let v1 = try fleet.commitAndPush(Self.web("demo/web:1.0.0"))
        try await fleet.withServe(remote, extra: Self.requiringAgents) { serve in
            try await Self.withHosts(controllers: [try await serve.baseURL()], reloads: reloads) { hosts in
                let first = await remote.waitForNote(on: v1, timeout: .seconds(90)) {
                    $0.contains("\nresult: converged")
                }
                #expect(first?.contains("result: converged") == true, "\(serve.log)")
                for host in hosts { try await host.waitUntilServing() }
                try await body(fleet, remote, serve, hosts)
            }
        }
    }

    /// Runs `body` with one load-balancer host per agent name following `controllers`; stops them however it ends.
    static func withHosts(
        controllers: [String], reloads: [(LoadBalancerHost.Reload, Duration)] = [(.checked, .zero), (.checked, .zero)],
        _ body: ([LoadBalancerHost]) async throws -> Void
    ) async throws {
        var hosts: [LoadBalancerHost] = []
        defer { for host in hosts { host.stop() } }
        for (name, (reload, delay)) in zip(agents, reloads) {
            hosts.append(
                try await LoadBalancerHost(name: name, controllers: controllers, reload: reload, reloadDelay: delay))
        }
        do {
            try await body(hosts)
        } catch {
            for host in hosts { print(host.agentLog) }
            throw error
        }
    }

    /// The demo's `version` in `count` answers through `host`'s nginx, as a set.
    static func versions(through host: LoadBalancerHost, count: Int) async throws -> Set<String> {
        var versions: Set<String> = []
        for _ in 0..<count {
            let answer = try await LoopbackHTTP.get(port: host.nginx.port, path: "/", timeout: .seconds(5))
            let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            versions.insert(object?["version"] as? String ?? "status \(answer.status)")
        }
        return versions
    }

    /// Polls `probe` every 200 ms until it answers; fails with `log` after `timeout`.
    static func poll<T>(
        _ what: String, timeout: Duration = .seconds(60), log: @autoclosure () -> String,
        _ probe: () async throws -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let value = try? await probe() { return value }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw FixtureError("timed out waiting until \(what):\n\(log())")
    }
}

/// wrk through every load-balancer host at once, and what each one's nginx logged in the same window.
struct Traffic {
    struct Result {
        var host: String
        var wrk: Wrk.Summary
        /// Requests and 5xx answers nginx logged while wrk ran.
        var logged: Int
        var serverErrors: Int
    }

    let hosts: [LoadBalancerHost]
    let runs: [Wrk]
    let baselines: [(requests: Int, serverErrors: Int)]

    init(through hosts: [LoadBalancerHost]) throws {
        self.hosts = hosts
        baselines = hosts.map { $0.nginx.accessCounts ?? (0, 0) }
        runs = try hosts.map { try Wrk(port: $0.nginx.port) }
    }

    func finish() async throws -> [Result] {
        var results: [Result] = []
        for (index, host) in hosts.enumerated() {
            let summary = try await runs[index].stop()
            let counts = host.nginx.accessCounts ?? (0, 0)
            results.append(
                Result(
                    host: host.name, wrk: summary, logged: counts.requests - baselines[index].requests,
                    serverErrors: counts.serverErrors - baselines[index].serverErrors))
        }
        return results
    }

    /// No request failed through any host, nginx answered no 5xx, and enough went through each to mean something.
    static func expectNoFailure(_ results: [Result], during what: String, hosts: [LoadBalancerHost]) {
        for (result, host) in zip(results, hosts) {
            print(
                "agents end to end: \(what), through \(result.host): wrk \(result.wrk); nginx logged \(result.logged), \(result.serverErrors) 5xx"
            )
            #expect(
                result.wrk.failed == 0,
                "\(what), through \(result.host): \(result.wrk)\n\(host.nginx.serverErrors())\n\(host.nginx.errorLog)")
            #expect(result.serverErrors == 0, "\(what), through \(result.host): \(host.nginx.serverErrors())")
            #expect(result.wrk.requests >= 300, "\(what), through \(result.host): too few requests to prove anything")
        }
    }
}

extension EmbeddedFleet {
    /// Commits `manifest` as services/web.yaml, pushes it, and returns the commit.
    func commitAndPush(_ manifest: String) throws -> String {
        try repository.git.write("services/web.yaml", manifest)
        let commit = try repository.git.commit(
            "web: \(manifest.split(separator: "\n").first { $0.contains("image:") } ?? "")")
        try push()
        return commit
    }
}

extension ServeProcess {
    /// The controller's base URL on loopback.
    func baseURL() async throws -> String { "http://127.0.0.1:\(try await port())" }

    /// `GET /api/v1/agents`' entries by name.
    func agentEntries() async throws -> [String: [String: Any]] {
        let (status, body) = try await request("GET", "/api/v1/agents")
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let entries = object["agents"] as? [[String: Any]]
        else { throw FixtureError("GET /api/v1/agents answered \(status): \(body)") }
        var byName: [String: [String: Any]] = [:]
        for entry in entries { if let name = entry["name"] as? String { byName[name] = entry } }
        return byName
    }
}
