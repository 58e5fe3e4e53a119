import FleetController
import Foundation
import GitFleetCLI
import GitFleetTesting
import Logging
import Testing

/// The discovery agent in-process (the `Service` `gitfleet agent` runs) against controllers that answer over real
/// loopback HTTP from a script, publishing to real files with real reload commands (a real nginx checking each
/// file): its rendering, reports, failover, refusals and tokens.
@Suite("gitfleet agent follows discovery, publishes and reports", .serialized)
struct DiscoveryAgentTests {
    static func services(port: Int, instance: String = "web-1", address: String = "127.0.0.1") -> String {
        let hash = String(repeating: "ab", count: 32)
        return #"{"web":[{"instance":"\#(instance)","address":"\#(address)","ports":{"http":\#(port)},"#
            + #""specHash":"\#(hash)","image":"demo/web:1.0.0","weight":1}]}"#
    }

    /// A line the nginx output holds for `port` of instance `instance`.
    static func server(port: Int, instance: String = "web-1") -> String {
        "server 127.0.0.1:\(port) weight=1; # \(instance)"
    }

    /// Runs an agent for `body`, then cancels it.
    static func withAgent(
        _ configuration: DiscoveryAgent.Configuration, _ body: (DiscoveryAgent) async throws -> Void
    ) async throws {
        var logger = Logger(label: "gitfleet.agent.test")
        logger.logLevel = .debug
        let agent = DiscoveryAgent(configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await agent.run() }
            defer { group.cancelAll() }
            try await body(agent)
        }
    }

    static func configuration(
        controllers: [String], output: String, reload: [String], tokenFile: String? = nil
    ) -> DiscoveryAgent.Configuration {
        DiscoveryAgent.Configuration(
            name: "lb-1", controllers: controllers,
            publisher: DiscoveryPublisher.Configuration(
                outputs: [DiscoveryOutput(kind: .nginx, path: output)], reloadCommand: reload,
                retryDelay: .milliseconds(200)),
            tokenFile: tokenFile, wait: .seconds(2), heartbeat: .milliseconds(300), backOff: .milliseconds(100))
    }

    /// Polls `condition` until it holds or a generous deadline passes (a loaded 2-core machine).
    ///
    /// Called as `let done = await eventually { … }; #expect(done)`, never inside `#expect(await …)`: with this
    /// toolchain (6.3) a later closure after such an expansion was seen to answer true without running.
    static func eventually(within timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    /// The reports `controller` received, decoded, oldest first.
    static func reports(_ controller: ScriptedDiscoveryController) -> [AgentReport] {
        controller.reports.compactMap { request -> AgentReport? in
            try? JSONDecoder().decode(AgentReport.self, from: Data(request.body))
        }
    }

    static func isFailing(_ report: AgentReport) -> Bool {
        report.problem != nil
    }

    static func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// One controller serving `v1`, an agent writing an nginx file in a temporary folder with `reload` (made from
    /// that folder), run for `body` once it reported `v1` and its file shows it.
    static func withAgentShowingV1(
        reload: (TemporaryDirectory) -> [String],
        _ body: (DiscoveryAgent, ScriptedDiscoveryController, _ output: String, _ directory: TemporaryDirectory)
            async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-agent")
        defer { directory.remove() }
        let output = directory.appending("upstreams.conf")
        let controller = try await ScriptedDiscoveryController.start()
        defer { Task { await controller.stop() } }
        controller.serve(index: "v1", services: Self.services(port: 18081))
        let configuration = Self.configuration(
            controllers: [controller.url], output: output, reload: reload(directory))
        try await Self.withAgent(configuration) { agent in
            let reportedV1 = await Self.eventually {
                Self.reports(controller).contains { $0.index == "\"v1\"" }
            }
            #expect(reportedV1)
            #expect(Self.contents(output).contains(Self.server(port: 18081)))
            try await body(agent, controller, output, directory)
        }
    }

    @Test(
        "renders an nginx file nginx accepts, runs the reload, and reports the etag with the token from --token-file")
    func publishesAndReports() async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-agent")
        defer { directory.remove() }
        let nginx = try await NginxServer(
            service: "web", upstreams: "upstream gitfleet_web { server 127.0.0.1:9 down; }\n")
        defer { nginx.stop() }
        let checks = directory.appending("checks")
        let tokenFile = directory.appending("token")
        try "first-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let controller = try await ScriptedDiscoveryController.start()
        defer { Task { await controller.stop() } }
        controller.serve(index: "v1", services: Self.services(port: 18081))
        let configuration = Self.configuration(
            controllers: [controller.url], output: nginx.upstreamFile,
            reload: try nginx.checkedReloadCommand(recordingTo: checks), tokenFile: tokenFile)

        try await Self.withAgent(configuration) { _ in
            let confirmed = await Self.eventually {
                Self.reports(controller).contains { $0.index == "\"v1\"" }
            }
            #expect(confirmed, "no report of v1: \(controller.requests.map(\.target))")
            #expect(Self.contents(nginx.upstreamFile).contains(Self.server(port: 18081)))
            let statuses = Self.contents(checks).split(separator: "\n")
            #expect(!statuses.isEmpty && statuses.allSatisfy { $0 == "0" }, "nginx -t: \(nginx.checkLog)")
            let report = try #require(Self.reports(controller).last)
            #expect(report.following == controller.url)
            #expect(report.problem == nil && report.output == nil)
            #expect(report.version == GitFleetCommand.release)
            #expect(controller.reports.last?.target == "/api/v1/agents/lb-1")
            #expect(controller.requests.allSatisfy { $0.headers["authorization"] == "Bearer first-token" })
            // The long poll carries the tag it has, so a controller can hold it.
            #expect(controller.requests.contains { $0.target.contains("index=%22v1%22") })

            // A new set is published and reported; heartbeats repeat the report in between.
            controller.serve(index: "v2", services: Self.services(port: 18082, instance: "web-2"))
            let reportedV2 = await Self.eventually {
                Self.reports(controller).contains { $0.index == "\"v2\"" }
            }
            #expect(reportedV2)
            #expect(Self.contents(nginx.upstreamFile).contains(Self.server(port: 18082, instance: "web-2")))
            let before = controller.reports.count
            let heartbeats = await Self.eventually { controller.reports.count >= before + 2 }
            #expect(heartbeats, "no heartbeats")

            // A rotated token is sent from the next request on.
            try "second-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let rotated = await Self.eventually {
                controller.reports.last?.headers["authorization"] == "Bearer second-token"
            }
            #expect(rotated)
        }
    }

    @Test("a failing reload is reported with its output, the previous file is kept, and it is retried until it works")
    func failingReload() async throws {
        let reload = { (directory: TemporaryDirectory) in
            [
                "/bin/sh", "-c",
                "test ! -e '\(directory.appending("broken"))' || { echo 'checking the configuration'; "
                    + "echo 'nginx: [emerg] host not found in upstream' >&2; exit 1; }",
            ]
        }
        try await Self.withAgentShowingV1(reload: reload) { agent, controller, output, directory in
            let broken = directory.appending("broken")
            let good = Self.contents(output)

            #expect(FileManager.default.createFile(atPath: broken, contents: nil))
            controller.serve(index: "v2", services: Self.services(port: 18082, instance: "web-2"))
            let failing = await Self.eventually {
                Self.reports(controller).contains(where: Self.isFailing)
            }
            #expect(failing)
            let last = Self.reports(controller).last(where: Self.isFailing)
            let report = try #require(last, "\(controller.reports.map(\.text))")
            #expect(report.index == "\"v1\"", "the outputs still show v1")
            #expect(report.problem?.contains("exited 1: nginx: [emerg] host not found in upstream") == true)
            #expect(report.output?.contains("checking the configuration") == true, "\(report)")
            #expect(report.output?.contains("[emerg] host not found") == true, "\(report)")
            #expect(Self.contents(output) == good, "the file that worked is put back")
            #expect(await agent.publisher.status.failures >= 1)

            // Nothing new comes from the controller: the retry alone publishes v2 once the reload works.
            try FileManager.default.removeItem(atPath: broken)
            let recovered = await Self.eventually {
                Self.reports(controller).last.map { $0.index == "\"v2\"" && $0.problem == nil }
                    ?? false
            }
            #expect(recovered)
            #expect(Self.contents(output).contains(Self.server(port: 18082, instance: "web-2")))
        }
    }

    @Test(
        "a controller without the agents API (404 to reports) is still followed: the agent publishes and keeps reporting"
    )
    func controllerWithoutAgentsAPI() async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-agent")
        defer { directory.remove() }
        let output = directory.appending("upstreams.conf")
        let controller = try await ScriptedDiscoveryController.start()
        defer { Task { await controller.stop() } }
        controller.answerReports(with: 404)
        controller.serve(index: "v1", services: Self.services(port: 18081))
        try await Self.withAgent(
            Self.configuration(controllers: [controller.url], output: output, reload: ["/bin/true"])
        ) {
            _ in
            let published = await Self.eventually { Self.contents(output).contains(Self.server(port: 18081)) }
            #expect(published)
            let before = controller.reports.count
            let reporting = await Self.eventually { controller.reports.count >= before + 2 }
            #expect(reporting, "reports go on after 404s")
            controller.serve(index: "v2", services: Self.services(port: 18082, instance: "web-2"))
            let followed = await Self.eventually {
                Self.contents(output).contains(Self.server(port: 18082, instance: "web-2"))
            }
            #expect(followed)
        }
    }

    @Test("with the first controller down it follows the second; with both down it keeps the output and resumes")
    func failover() async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-agent")
        defer { directory.remove() }
        let output = directory.appending("upstreams.conf")
        let first = try await ScriptedDiscoveryController.start()
        let second = try await ScriptedDiscoveryController.start()
        defer {
            Task {
                await first.stop()
                await second.stop()
            }
        }
        await first.stop()
        second.serve(index: "v1", services: Self.services(port: 18081))
        let configuration = Self.configuration(
            controllers: [first.url, second.url], output: output, reload: ["/bin/true"])
        try await Self.withAgent(configuration) { _ in
            let followsSecond = await Self.eventually {
                Self.reports(second).contains {
                    $0.index == "\"v1\"" && $0.following == second.url
                }
            }
            #expect(followsSecond, "\(second.requests.map(\.target))")
            #expect(Self.contents(output).contains(Self.server(port: 18081)))

            // Both down: nothing is written; the output keeps the last good set.
            await second.stop()
            let good = Self.contents(output)
            let modified = try FileManager.default.attributesOfItem(atPath: output)[.modificationDate] as? Date
            try await Task.sleep(for: .seconds(2))
            #expect(Self.contents(output) == good)
            #expect(try FileManager.default.attributesOfItem(atPath: output)[.modificationDate] as? Date == modified)

            // The first comes back (a standby with a newer set): the agent follows it and publishes.
            first.serve(index: "v2", services: Self.services(port: 18082, instance: "web-2"))
            try await first.start()
            let followsFirst = await Self.eventually {
                Self.reports(first).contains {
                    $0.index == "\"v2\"" && $0.following == first.url
                }
            }
            #expect(followsFirst)
            #expect(Self.contents(output).contains(Self.server(port: 18082, instance: "web-2")))
        }
    }

    @Test("an agent that finds itself on a standby moves to the replica answering as the leader")
    func prefersLeader() async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-agent")
        defer { directory.remove() }
        let output = directory.appending("upstreams.conf")
        let standby = try await ScriptedDiscoveryController.start()
        let leader = try await ScriptedDiscoveryController.start()
        defer {
            Task {
                await standby.stop()
                await leader.stop()
            }
        }
        // The standby's mirror lacks what the leader published (here: another instance).
        standby.serve(index: "mirror", services: Self.services(port: 18081), role: "standby")
        leader.serve(index: "published", services: Self.services(port: 18082, instance: "web-2"), role: "leader")
        let configuration = Self.configuration(
            controllers: [standby.url, leader.url], output: output, reload: ["/bin/true"])
        try await Self.withAgent(configuration) { _ in
            let followsLeader = await Self.eventually {
                Self.reports(leader).contains { $0.index == "\"published\"" && $0.following == leader.url }
            }
            #expect(followsLeader, "\(Self.reports(leader))")
            #expect(Self.contents(output).contains(Self.server(port: 18082, instance: "web-2")))
            // It stays there: the standby is asked no more long polls once the leader answers.
            let polls = standby.requests.filter { $0.method == "GET" }.count
            try await Task.sleep(for: .seconds(1))
            #expect(standby.requests.filter { $0.method == "GET" }.count == polls)
        }
    }

    @Test("a document with an injected address is refused: the file is unchanged and the report says where")
    func injectedAddress() async throws {
        let reload = { (directory: TemporaryDirectory) in
            ["/bin/sh", "-c", "echo reload >> '\(directory.appending("reloads"))'"]
        }
        try await Self.withAgentShowingV1(reload: reload) { _, controller, output, directory in
            let reloads = directory.appending("reloads")
            let good = Self.contents(output)
            let reloadsBefore = Self.contents(reloads)

            controller.serve(
                index: "v2",
                services: Self.services(port: 18082, address: #"127.0.0.1:1; }\nserver { listen 80; } #"#))
            let refused = await Self.eventually {
                Self.reports(controller).contains(where: Self.isFailing)
            }
            #expect(refused)
            let last = Self.reports(controller).last(where: Self.isFailing)
            let report = try #require(last, "\(controller.reports.map(\.text))")
            #expect(
                report.problem?.hasPrefix(
                    "the discovery document is refused: services.web[0].address (instance web-1): '127.0.0.1:1; }")
                    == true, "\(report)")
            #expect(report.problem?.contains("expected an IPv4 or IPv6 address or a host name") == true)
            #expect(report.index == "\"v1\"")
            #expect(Self.contents(output) == good)
            #expect(Self.contents(reloads) == reloadsBefore, "nothing is reloaded for a refused document")
        }
    }
}

/// The built `gitfleet agent` as a process: against a real `gitfleet serve`, and with a bad flag.
@Suite("gitfleet agent runs as a process", .serialized)
struct AgentProcessTests {
    @Test("a bad flag value is a usage error naming the flag (exit 64)")
    func badFlag() async throws {
        let outcome = try await BuiltProducts.gitfleet([
            "agent", "--name", "lb-1", "--controller", "http://127.0.0.1:1", "--output", "nginx:/tmp/x.conf",
            "--heartbeat", "often",
        ])
        #expect(outcome.status == 64, "\(outcome)")
        #expect(
            outcome.standardError.contains("--heartbeat: expected a duration such as 30s or 2m, got \"often\""),
            "\(outcome)")
    }

    @Test(
        "follows a real controller's discovery into an nginx file with a token of scope agent, is listed as current, and stops on SIGTERM with exit 0"
    )
    func againstServe() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        let output = fleet.repository.directory.appending("agent-upstreams.conf")
        let agentToken = fleet.repository.directory.appending("lb-1.token")
        let readToken = fleet.repository.directory.appending("ops.token")
        try "agent-secret-1\n".write(toFile: agentToken, atomically: true, encoding: .utf8)
        try "read-secret-1\n".write(toFile: readToken, atomically: true, encoding: .utf8)
        let tokens = "lb-1 scope=agent file=\(agentToken),ops scope=read file=\(readToken)"
        try await fleet.withServe(remote, extra: ["--api-tokens", tokens]) { serve in
            _ = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let serving = try await fleet.records().filter { $0.state == .serving }
            #expect(serving.count == 2, "\(serve.log)")
            let log = fleet.repository.directory.appending("agent.log")
            let agent = try SpawnedProcess(
                executable: try BuiltProducts.path(of: "gitfleet"),
                arguments: [
                    "agent", "--name", "lb-1", "--controller", "http://127.0.0.1:\(try await serve.port())",
                    "--output", "nginx:\(output)", "--reload-command", "/bin/true", "--log-level", "debug",
                    "--token-file", agentToken,
                ],
                logPath: log)
            defer { agent.stop(grace: 0) }
            let published = await DiscoveryAgentTests.eventually {
                let file = DiscoveryAgentTests.contents(output)
                return serving.allSatisfy { record in
                    file.contains("server 127.0.0.1:\(record.ports["http"] ?? -1) weight=1; # \(record.id)")
                }
            }
            #expect(published, "\(DiscoveryAgentTests.contents(output))\n\(agent.logTail(lines: 40))")
            #expect(agent.logTail(lines: 40).contains("following http://127.0.0.1:"), "\(agent.logTail())")
            // The controller took its reports: it lists the agent as showing what it published.
            var agents = ""
            for _ in 0..<300 where !agents.contains(#""state":"current""#) {
                let answer = try? await serve.request(
                    "GET", "/api/v1/agents", headers: ["Authorization": "Bearer read-secret-1"])
                agents = answer?.body ?? ""
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(agents.contains(#""name":"lb-1""#) && agents.contains(#""state":"current""#), "\(agents)")
            #expect(agents.contains(#""following":"http:"#), "\(agents)")
            #expect(!agent.logTail(lines: 400).contains("agent-secret-1"), "the token is never logged")
            let before = DiscoveryAgentTests.contents(output)
            agent.stop(grace: 10)
            #expect(agent.exitCode == 0, "\(agent.logTail(lines: 40))")
            #expect(DiscoveryAgentTests.contents(output) == before, "stopping leaves the outputs as they are")
        }
    }
}
