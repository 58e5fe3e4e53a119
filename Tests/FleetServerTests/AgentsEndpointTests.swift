import FleetController
import FleetServer
import Foundation
import GitFleetTesting
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

extension RecordingEndpoint {
    func receiveAgentReport(_ report: AgentReport, from name: String) async -> Bool {
        guard let roster else { return false }
        _ = await roster.receive(report, from: name)
        return true
    }

    func agents() async -> AgentsDocument? {
        guard let roster else { return nil }
        return AgentsDocument(
            published: await publisher?.view.etag, timeout: roster.settings.timeout,
            agents: await roster.entries().map(AgentDocument.init))
    }
}

/// `POST /api/v1/agents/{name}` and `GET /api/v1/agents` over real HTTP, with a real roster and publisher behind
/// a stand-in endpoint: bodies, errors and who may post for whom.
@Suite("HTTP server: discovery agents' reports")
struct AgentsEndpointTests {
    static let tokens: [(name: String, scope: APIToken.Scope, secret: String)] = [
        ("ci", .read, "read-secret"), ("oncall", .operate, "operate-secret"), ("lb-1", .agent, "agent-secret"),
    ]

    static func bearer(_ secret: String) -> HTTPFields { [.authorization: "Bearer \(secret)"] }

    static func endpoint(required: [String] = ["lb-1", "lb-2"]) async -> RecordingEndpoint {
        let endpoint = RecordingEndpoint()
        let discovery = DiscoveryPublisher(configuration: .init())
        await endpoint.setPublisher(discovery)
        await endpoint.setRoster(
            AgentRoster(settings: .init(required: required, timeout: .seconds(15)), discovery: discovery))
        return endpoint
    }

    static func report(_ report: AgentReport) throws -> [UInt8] { Array(try JSONEncoder().encode(report)) }

    @Test("a posted report is listed with every field; a required agent never heard of is unknown")
    func postAndList() async throws {
        let endpoint = await Self.endpoint()
        try await RunningServer.with(endpoint: endpoint) { server in
            let published = try #require(await endpoint.publisher?.view.etag)
            let posted = try await server.request(
                .post, "/api/v1/agents/lb-1",
                body: try Self.report(
                    AgentReport(
                        index: published, problem: nil, output: nil, following: "http://10.0.0.5:8080",
                        version: "0.9.0")))
            #expect(posted.status == .noContent, "\(posted.text)")
            let failing = try await server.request(
                .post, "/api/v1/agents/lb-3",
                body: try Self.report(AgentReport(index: nil, problem: "reload exited 1", output: "nginx: [emerg]")))
            #expect(failing.status == .noContent)

            let listed = try await server.get("/api/v1/agents")
            #expect(listed.status == .ok)
            let object = try listed.jsonObject()
            #expect(object["published"] as? String == published)
            #expect(object["timeout"] as? String == "15s")
            let agents = try #require(object["agents"] as? [[String: Any]])
            #expect(agents.map { $0["name"] as? String } == ["lb-1", "lb-2", "lb-3"])
            #expect(agents.map { $0["state"] as? String } == ["current", "unknown", "failing"])
            #expect(agents.map { $0["required"] as? Bool } == [true, true, false])
            #expect(agents[0]["following"] as? String == "http://10.0.0.5:8080")
            #expect(agents[0]["version"] as? String == "0.9.0")
            #expect(agents[0]["lastSeenAt"] is String)
            #expect(agents[1]["lastSeenAt"] == nil, "unknown: omitted")
            #expect(agents[2]["output"] as? String == "nginx: [emerg]")
            #expect(
                Set(agents[0].keys).union(["problem", "output"]) == Set(AgentDocumentFields.all),
                "\(agents[0].keys.sorted())")
        }
    }

    enum AgentDocumentFields {
        static let all = [
            "name", "required", "state", "index", "problem", "output", "following", "version", "lastSeenAt",
        ]
    }

    @Test(
        "a bad name is bad_agent_name, a body that is no report is bad_report, a large one 413",
        arguments: [
            ("/api/v1/agents/.hidden", "{}", 400, "bad_agent_name"),
            ("/api/v1/agents/\(String(repeating: "a", count: 64))", "{}", 400, "bad_agent_name"),
            ("/api/v1/agents/lb%20one", "{}", 400, "bad_agent_name"),
            ("/api/v1/agents/lb-1", "not json", 400, "bad_report"),
            ("/api/v1/agents/lb-1", #"{"index": 7}"#, 400, "bad_report"),
            ("/api/v1/agents/lb-1", String(repeating: " ", count: 2_000), 413, "body_too_large"),
        ])
    func errors(_ path: String, _ body: String, _ status: Int, _ code: String) async throws {
        let endpoint = await Self.endpoint()
        try await RunningServer.with(endpoint: endpoint, maxBodySize: 1_024) { server in
            let answer = try await server.request(.post, path, body: Array(body.utf8))
            #expect(answer.status.code == status, "\(answer.text)")
            #expect(answer.text.contains(#""error":"\#(code)""#), "\(answer.text)")
            #expect(await endpoint.roster?.entries().map(\.name) == ["lb-1", "lb-2"], "nothing was kept")
        }
    }

    @Test("a field the body lacks is fine (agents of other versions), and an empty object is a report")
    func lenientBody() async throws {
        let endpoint = await Self.endpoint()
        try await RunningServer.with(endpoint: endpoint) { server in
            let answer = try await server.request(
                .post, "/api/v1/agents/lb-2", body: Array(#"{"index": "\"x\"", "later": true}"#.utf8))
            #expect(answer.status == .noContent, "\(answer.text)")
            let entries = await endpoint.roster?.entries() ?? []
            #expect(entries.first { $0.name == "lb-2" }?.report?.index == "\"x\"")
        }
    }

    @Test("an agent token posts only its own report and reads only discovery; read cannot post; operate posts any")
    func scopes() async throws {
        let endpoint = await Self.endpoint()
        try await RunningServer.with(endpoint: endpoint, apiTokens: Self.tokens) { server in
            let body = try Self.report(AgentReport(index: "\"x\""))
            let own = try await server.request(
                .post, "/api/v1/agents/lb-1", headers: Self.bearer("agent-secret"), body: body)
            #expect(own.status == .noContent, "\(own.text)")
            let other = try await server.request(
                .post, "/api/v1/agents/lb-2", headers: Self.bearer("agent-secret"), body: body)
            #expect(other.status == .forbidden)
            #expect(other.text.contains(#""error":"insufficient_scope""#), "\(other.text)")
            let discovery = try await server.request(.get, "/api/v1/discovery", headers: Self.bearer("agent-secret"))
            #expect(discovery.status == .ok, "an agent reads the serving set")
            for path in ["/api/v1/status", "/api/v1/agents", "/api/v1/events"] {
                let read = try await server.request(.get, path, headers: Self.bearer("agent-secret"))
                #expect(read.status == .forbidden, "\(path): \(read.status)")
            }
            let retry = try await server.request(
                .post, "/api/v1/services/web/retry", headers: Self.bearer("agent-secret"))
            #expect(retry.status == .forbidden)

            let readPost = try await server.request(
                .post, "/api/v1/agents/lb-1", headers: Self.bearer("read-secret"), body: body)
            #expect(readPost.status == .forbidden)
            #expect(
                readPost.headers[.wwwAuthenticate]
                    == #"Bearer realm="gitfleet", error="insufficient_scope", scope="operate""#)
            let readList = try await server.request(.get, "/api/v1/agents", headers: Self.bearer("read-secret"))
            #expect(readList.status == .ok)

            let operate = try await server.request(
                .post, "/api/v1/agents/lb-2", headers: Self.bearer("operate-secret"), body: body)
            #expect(operate.status == .noContent)
            let names = await endpoint.roster?.entries().filter { $0.report != nil }.map(\.name)
            #expect(names == ["lb-1", "lb-2"])
        }
    }

    @Test("a server whose controller keeps no agents answers 404 agents_unavailable")
    func unavailable() async throws {
        try await RunningServer.with { server in
            let list = try await server.get("/api/v1/agents")
            #expect(list.status == .notFound && list.text.contains("agents_unavailable"))
            let post = try await server.request(.post, "/api/v1/agents/lb-1", body: Array("{}".utf8))
            #expect(post.status == .notFound && post.text.contains("agents_unavailable"))
        }
    }
}
