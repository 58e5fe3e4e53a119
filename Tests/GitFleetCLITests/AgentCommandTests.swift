import FleetController
import Foundation
import GitFleetTesting
import Testing

@testable import GitFleetCLI

/// `gitfleet agent`'s flags and `GITFLEET_AGENT_*` variables: what they give the agent, and a bad value named by
/// where it came from.
@Suite("gitfleet agent reads its flags and environment", .tags(.fast))
struct AgentCommandTests {
    static func settings(_ arguments: [String], environment: [String: String] = [:]) throws -> AgentCommand.Settings {
        try AgentCommand.parse(arguments).settings(environment: environment)
    }

    @Test("Flags give every value; defaults fill the rest")
    func flags() throws {
        let settings = try Self.settings([
            "--name", "lb-1", "--controller", "http://a:8080/", "--controller", "https://b:8443",
            "--output", "nginx:/etc/nginx/gitfleet.conf", "--output", "haproxy:/tmp/h.cfg",
            "--reload-command", "nginx -s reload", "--heartbeat", "2s",
        ])
        let agent = settings.agent
        #expect(agent.name == "lb-1")
        #expect(agent.controllers == ["http://a:8080", "https://b:8443"])
        #expect(agent.publisher.outputs.map(\.description) == ["nginx:/etc/nginx/gitfleet.conf", "haproxy:/tmp/h.cfg"])
        #expect(agent.publisher.reloadCommand == ["nginx", "-s", "reload"])
        #expect(agent.publisher.reloadTimeout == .seconds(10))
        #expect(agent.publisher.port == "http")
        #expect(agent.publisher.restoresOnFailure)
        #expect(agent.wait == .seconds(30))
        #expect(agent.heartbeat == .seconds(2))
        #expect(agent.tokenFile == nil)
        #expect(settings.logLevel == .notice && settings.logFormat == .text)
    }

    @Test("Every flag is also GITFLEET_AGENT_<FLAG>, lists comma-separated; a flag wins")
    func environment() throws {
        let token = try TemporaryDirectory(prefix: "agent-token")
        defer { token.remove() }
        let tokenFile = token.appending("token")
        try "secret\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let settings = try Self.settings(
            ["--wait", "10s"],
            environment: [
                "GITFLEET_AGENT_NAME": "lb-2", "GITFLEET_AGENT_CONTROLLER": "http://a:8080, http://b:8080",
                "GITFLEET_AGENT_OUTPUT": "nginx:/tmp/a.conf,haproxy:/tmp/b.cfg",
                "GITFLEET_AGENT_RELOAD_COMMAND": #"["/bin/sh","-c","exit 0"]"#, "GITFLEET_AGENT_RELOAD_TIMEOUT": "3s",
                "GITFLEET_AGENT_PORT": "admin", "GITFLEET_AGENT_TOKEN_FILE": tokenFile,
                "GITFLEET_AGENT_WAIT": "45s", "GITFLEET_AGENT_HEARTBEAT": "1s", "GITFLEET_AGENT_LOG_LEVEL": "debug",
                "GITFLEET_AGENT_LOG_FORMAT": "json",
            ])
        let agent = settings.agent
        #expect(agent.name == "lb-2")
        #expect(agent.controllers == ["http://a:8080", "http://b:8080"])
        #expect(agent.publisher.outputs.count == 2)
        #expect(agent.publisher.reloadCommand == ["/bin/sh", "-c", "exit 0"])
        #expect(agent.publisher.reloadTimeout == .seconds(3))
        #expect(agent.publisher.port == "admin")
        #expect(agent.tokenFile == tokenFile)
        #expect(agent.wait == .seconds(10), "the flag wins over GITFLEET_AGENT_WAIT")
        #expect(agent.heartbeat == .seconds(1))
        #expect(settings.logLevel == .debug && settings.logFormat == .json)
    }

    static let required = ["--name", "lb-1", "--controller", "http://a:8080", "--output", "nginx:/tmp/a.conf"]

    @Test(
        "A bad value names its flag or variable and what was expected",
        arguments: [
            ([], [:], "agent needs --name NAME (or GITFLEET_AGENT_NAME)"),
            (["--name", "lb 1"], [:], "--name: 'lb 1' is not an agent name (expected letters, digits"),
            ([], ["GITFLEET_AGENT_NAME": ".hidden"], "GITFLEET_AGENT_NAME: '.hidden' is not an agent name"),
            (["--name", "lb"], [:], "agent needs --controller URL"),
            (["--name", "lb", "--controller", "ftp://a"], [:], "--controller: 'ftp://a' is not a controller URL"),
            (
                ["--name", "lb"], ["GITFLEET_AGENT_CONTROLLER": "http://a:1,nonsense"],
                "GITFLEET_AGENT_CONTROLLER: 'nonsense' is not a controller URL (expected http://HOST:PORT"
            ),
            (["--name", "lb", "--controller", "http://a:1"], [:], "agent needs --output nginx:PATH"),
            (
                ["--name", "lb", "--controller", "http://a:1", "--output", "apache:/x"], [:],
                "--output: 'apache:/x' is not a discovery output (expected nginx:PATH, haproxy:PATH or template"
            ),
            (required + ["--reload-command", "[1]"], [:], "--reload-command: '[1]' is not a JSON array of strings"),
            (required + ["--reload-timeout", "soon"], [:], "--reload-timeout: expected a duration such as 30s"),
            (required, ["GITFLEET_AGENT_HEARTBEAT": "0s"], "GITFLEET_AGENT_HEARTBEAT: expected a duration"),
            (required + ["--wait", "10m"], [:], "--wait: 10m is longer than the controller waits (at most 5m)"),
            (required + ["--port", "HTTP"], [:], "--port: 'HTTP' is not a port name (expected a DNS label"),
            (required + ["--token-file", "/nonexistent/token"], [:], "--token-file: cannot read '/nonexistent/token'"),
            (required + ["--log-level", "loud"], [:], "--log-level: expected one of trace, debug"),
            (required, ["GITFLEET_AGENT_LOG_FORMAT": "xml"], "GITFLEET_AGENT_LOG_FORMAT: expected text or json"),
        ] as [([String], [String: String], String)])
    func refused(arguments: [String], environment: [String: String], message: String) throws {
        let error = #expect(throws: (any Error).self) { try Self.settings(arguments, environment: environment) }
        let text = error.map { AgentCommand.message(for: $0) } ?? ""
        #expect(text.contains(message), "\(text)")
    }
}
