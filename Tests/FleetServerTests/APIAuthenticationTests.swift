import FleetController
import FleetModel
import FleetServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import FleetServer

/// `APIAuthentication` in a real server over real HTTP: which routes need a token, which scope, and who the
/// caller is; the serve-process tests (ServeAuthenticationTests) cover rotation, the CLI and TLS.
@Suite("HTTP server: API tokens and scopes")
struct APIAuthenticationTests {
    static let tokens: [(name: String, scope: APIToken.Scope, secret: String)] = [
        ("ci", .read, "read-secret-1"), ("oncall", .operate, "operate-secret-2"),
    ]

    static func text(_ response: TestClient.Response) -> String {
        response.body.map { String(buffer: $0) } ?? ""
    }

    static func bearer(_ secret: String) -> HTTPFields { [.authorization: "Bearer \(secret)"] }

    @Test("no token or a wrong one: 401 with the challenge; read reads; read on an action: 403; operate acts as itself")
    func scopes() async throws {
        let endpoint = RecordingEndpoint()
        await endpoint.setRetry(["web": .nothingFailed])
        try await RunningServer.with(endpoint: endpoint, apiTokens: Self.tokens) { server in
            let none = try await server.get("/api/v1/status")
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == #"Bearer realm="gitfleet""#)
            #expect(Self.text(none).contains(#""error":"unauthorized""#))
            let wrong = try await server.request(.get, "/api/v1/status", headers: Self.bearer("read-secret-"))
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.wwwAuthenticate] == #"Bearer realm="gitfleet", error="invalid_token""#)
            let lowercase = try await server.request(
                .get, "/api/v1/status", headers: [.authorization: "bearer read-secret-1"])
            #expect(lowercase.status == .ok, "the scheme is case-insensitive")
            let dashboard = try await server.get("/")
            #expect(dashboard.status == .seeOther, "the dashboard's path needs a token")
            #expect(dashboard.headers[.location] == "/signin?next=/", "a browser is sent to sign in")

            let read = try await server.request(
                .post, "/api/v1/services/web/retry", headers: Self.bearer("read-secret-1"))
            #expect(read.status == .forbidden)
            #expect(Self.text(read).contains(#""error":"insufficient_scope""#))
            #expect(
                read.headers[.wwwAuthenticate]
                    == #"Bearer realm="gitfleet", error="insufficient_scope", scope="operate""#)
            #expect(await endpoint.retries.isEmpty, "a read token acted")

            let operate = try await server.request(
                .post, "/api/v1/services/web/retry", headers: Self.bearer("operate-secret-2"))
            #expect(operate.status == .ok)
            #expect(await endpoint.retryCallers == ["oncall"])
            let operateReads = try await server.request(
                .get, "/api/v1/status", headers: Self.bearer("operate-secret-2"))
            #expect(operateReads.status == .ok, "operate includes read")
        }
    }

    @Test("health, readiness, metrics and webhooks need no token", arguments: ["/healthz", "/readyz", "/metrics"])
    func openRoutes(_ path: String) async throws {
        try await RunningServer.with(apiTokens: Self.tokens) { server in
            let answer = try await server.get(path)
            #expect(answer.status != .unauthorized, "\(path): \(answer.status)")
            let webhook = try await server.request(.post, "/webhooks/github", body: Array("{}".utf8))
            #expect(webhook.status == .notFound, "a webhook is judged by its own secret, not a token")
        }
    }

    @Test(
        "with tokens an unknown path answers 401 without a token (telling nothing of which paths exist), 404 with one")
    func unknownPathNeedsAToken() async throws {
        try await RunningServer.with(apiTokens: Self.tokens) { server in
            let answer = try await server.get("/api/v1/nope")
            #expect(answer.status == .unauthorized)
            #expect(try answer.decode(ErrorDocument.self).error == "unauthorized")
            let signed = try await server.request(.get, "/api/v1/nope", headers: Self.bearer("read-secret-1"))
            #expect(signed.status == .notFound)
            #expect(try signed.decode(ErrorDocument.self).error == "not_found")
        }
    }

    @Test("without tokens every route is open and the caller is anonymous")
    func anonymous() async throws {
        let endpoint = RecordingEndpoint()
        await endpoint.setRetry(["web": .nothingFailed])
        try await RunningServer.with(endpoint: endpoint) { server in
            let status = try await server.get("/api/v1/status")
            #expect(status.status == .ok)
            let retry = try await server.request(.post, "/api/v1/services/web/retry")
            #expect(retry.status == .ok)
            #expect(await endpoint.retryCallers == ["anonymous"])
        }
    }

    @Test("a token file that cannot be read fails the start, naming the token and its file but no secret")
    func unreadableToken() throws {
        let token = APIToken(name: "ci", scope: .read, file: "/nonexistent/gitfleet-token")
        let error = #expect(throws: ServerError.self) {
            try ControllerHTTPServer(
                configuration: ServerConfiguration(port: 0, apiTokens: [token]), endpoint: RecordingEndpoint(),
                metrics: FleetMetrics())
        }
        #expect(error?.code == .secretUnreadable)
        #expect(
            error?.message.contains("'ci'") == true && error?.message.contains("/nonexistent/gitfleet-token") == true)
    }

    @Test("digests compare equal only when every byte is")
    func constantTimeEqual() {
        #expect(APITokenStore.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!APITokenStore.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!APITokenStore.constantTimeEqual([1, 2, 3], [1, 2]))
    }
}
