import Crypto
import FleetController
import FleetServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// How each provider signs and names its events, as the real senders do.
extension WebhookProvider: CustomTestStringConvertible {
    public var testDescription: String { rawValue }

    /// The headers that carry the credential for `body` under `secret`.
    func credential(for body: [UInt8], secret: String) -> HTTPFields {
        switch self {
        case .github: [HTTPField.Name("X-Hub-Signature-256")!: "sha256=" + hmacHex(body, secret)]
        case .gitlab: [HTTPField.Name("X-Gitlab-Token")!: secret]
        case .gitea: [HTTPField.Name("X-Gitea-Signature")!: hmacHex(body, secret)]
        case .generic: [HTTPField.Name("X-Signature-256")!: "sha256=" + hmacHex(body, secret)]
        }
    }

    /// The event headers of a push (or, with `event`, of another event in the provider's spelling).
    func event(_ event: String? = nil) -> HTTPFields {
        switch self {
        case .github: [HTTPField.Name("X-GitHub-Event")!: event ?? "push"]
        case .gitlab: [HTTPField.Name("X-Gitlab-Event")!: event ?? "Push Hook"]
        case .gitea: [HTTPField.Name("X-Gitea-Event")!: event ?? "push"]
        case .generic: [:]
        }
    }

    /// The providers whose event header can name something other than a push.
    static let withEvents: [WebhookProvider] = [.github, .gitlab, .gitea]
}

func hmacHex(_ body: [UInt8], _ secret: String) -> String {
    let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
    return mac.map { String(format: "%02x", $0) }.joined()
}

func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
    var merged = lhs
    merged.append(contentsOf: rhs)
    return merged
}

private let secret = "5eb63bbbe01eeed093cb22bb8f5acdc3"
private let revision = "9d2a1b3c4e5f60718293a4b5c6d7e8f901234567"

private func pushBody(ref: String = "refs/heads/main") -> [UInt8] {
    Array(
        #"{"ref":"\#(ref)","before":"0000000000000000000000000000000000000001","after":"\#(revision)","repository":{"full_name":"acme/fleet"}}"#
            .utf8)
}

@Suite("Webhooks: verified pushes to the tracked branch trigger a reconcile, nothing else does")
struct WebhookTests {
    @Test(
        "a signed push to the tracked branch triggers exactly once and answers 202", arguments: WebhookProvider.allCases
    )
    func pushToTrackedBranch(provider: WebhookProvider) async throws {
        try await RunningServer.with(secrets: [provider: secret]) { server in
            let body = pushBody()
            let response = try await server.request(
                .post, "/webhooks/\(provider.rawValue)",
                headers: provider.credential(for: body, secret: secret) + provider.event(),
                body: body)
            #expect(response.status == .accepted)
            let reply = try response.decode(WebhookReply.self)
            #expect(reply.outcome == "triggered")
            #expect(reply.ref == "refs/heads/main")

            let triggers = await server.endpoint.triggers
            #expect(triggers.count == 1)
            guard case .webhook(let push)? = triggers.first else {
                Issue.record("expected a webhook trigger, got \(triggers)")
                return
            }
            #expect(push.provider == provider)
            #expect(push.ref == "refs/heads/main")
            #expect(push.revision == revision)
            #expect(
                server.metrics.value(
                    of: .webhookRequests, labels: ["provider": provider.rawValue, "outcome": "triggered"]) == 1)
        }
    }

    @Test("a wrong credential answers 401 and triggers nothing", arguments: WebhookProvider.allCases)
    func wrongCredential(provider: WebhookProvider) async throws {
        try await RunningServer.with(secrets: [provider: secret]) { server in
            let body = pushBody()
            let forged = provider.credential(for: body, secret: "not-the-secret")
            let response = try await server.request(
                .post, "/webhooks/\(provider.rawValue)", headers: forged + provider.event(), body: body)
            #expect(response.status == .unauthorized)
            #expect(try response.decode(ErrorDocument.self).error == "unauthorized")
            #expect(await server.endpoint.triggers.isEmpty)
            #expect(
                server.metrics.value(
                    of: .webhookRequests, labels: ["provider": provider.rawValue, "outcome": "unauthorized"]) == 1)
        }
    }

    @Test(
        "a signature over another body answers 401: the body cannot be swapped under a captured signature",
        arguments: [WebhookProvider.github, .gitea, .generic])
    func tamperedBody(provider: WebhookProvider) async throws {
        try await RunningServer.with(secrets: [provider: secret]) { server in
            let signed = pushBody(ref: "refs/heads/feature")
            let response = try await server.request(
                .post, "/webhooks/\(provider.rawValue)",
                headers: provider.credential(for: signed, secret: secret) + provider.event(), body: pushBody())
            #expect(response.status == .unauthorized)
            #expect(await server.endpoint.triggers.isEmpty)
        }
    }

    @Test("a missing credential answers 401 and triggers nothing", arguments: WebhookProvider.allCases)
    func missingCredential(provider: WebhookProvider) async throws {
        try await RunningServer.with(secrets: [provider: secret]) { server in
            let response = try await server.request(
                .post, "/webhooks/\(provider.rawValue)", headers: provider.event(), body: pushBody())
            #expect(response.status == .unauthorized)
            #expect(await server.endpoint.triggers.isEmpty)
        }
    }

    @Test(
        "pushes to other branches and tags are acknowledged with 200 and ignored",
        arguments: WebhookProvider.allCases, ["refs/heads/feature", "refs/heads/main-old", "refs/tags/v1.0.0"])
    func otherRefs(provider: WebhookProvider, ref: String) async throws {
        try await RunningServer.with(secrets: [provider: secret]) { server in
            let body = pushBody(ref: ref)
            let response = try await server.request(
                .post, "/webhooks/\(provider.rawValue)",
                headers: provider.credential(for: body, secret: secret) + provider.event(), body: body)
            #expect(response.status == .ok)
            let reply = try response.decode(WebhookReply.self)
            #expect(reply.outcome == "ignored")
            #expect(reply.message.contains(ref))
            #expect(await server.endpoint.triggers.isEmpty)
        }
    }

    @Test("events other than a push are acknowledged with 200 and ignored", arguments: WebhookProvider.withEvents)
    func otherEvents(provider: WebhookProvider) async throws {
        try await RunningServer.with(secrets: [provider: secret]) { server in
            let body = pushBody()
            let other = provider == .gitlab ? "Tag Push Hook" : "issues"
            let response = try await server.request(
                .post, "/webhooks/\(provider.rawValue)",
                headers: provider.credential(for: body, secret: secret) + provider.event(other), body: body)
            #expect(response.status == .ok)
            #expect(try response.decode(WebhookReply.self).outcome == "ignored")
            #expect(await server.endpoint.triggers.isEmpty)
        }
    }

    @Test(
        "a body over the limit answers 413 and triggers nothing, even when signed", arguments: WebhookProvider.allCases)
    func oversizedBody(provider: WebhookProvider) async throws {
        try await RunningServer.with(secrets: [provider: secret], maxBodySize: 1024) { server in
            let padding = String(repeating: "x", count: 4096)
            let body = Array(#"{"ref":"refs/heads/main","padding":"\#(padding)"}"#.utf8)
            let response = try await server.request(
                .post, "/webhooks/\(provider.rawValue)",
                headers: provider.credential(for: body, secret: secret) + provider.event(), body: body)
            #expect(response.status == .contentTooLarge)
            #expect(await server.endpoint.triggers.isEmpty)
            #expect(
                server.metrics.value(
                    of: .webhookRequests, labels: ["provider": provider.rawValue, "outcome": "too_large"]) == 1)
        }
    }

    @Test(
        "a provider without a configured secret answers 404 and never accepts the request",
        arguments: WebhookProvider.allCases)
    func disabledProvider(provider: WebhookProvider) async throws {
        let others = WebhookProvider.allCases.filter { $0 != provider }
        try await RunningServer.with(secrets: Dictionary(uniqueKeysWithValues: others.map { ($0, secret) })) { server in
            let body = pushBody()
            for headers in [provider.event(), provider.credential(for: body, secret: secret) + provider.event()] {
                let response = try await server.request(
                    .post, "/webhooks/\(provider.rawValue)", headers: headers, body: body)
                #expect(response.status == .notFound)
                #expect(try response.decode(ErrorDocument.self).error == "webhook_disabled")
            }
            #expect(await server.endpoint.triggers.isEmpty)
        }
    }

    @Test("valid credentials over malformed JSON answer 400", arguments: WebhookProvider.allCases)
    func malformedPayload(provider: WebhookProvider) async throws {
        try await RunningServer.with(secrets: [provider: secret]) { server in
            let cases = [
                (#"{"ref": "refs/heads/ma"#, "The body is not valid JSON."),
                (#"{"after": "abc"}"#, "The body has no field 'ref'."),
                (#"{"ref": 7}"#, "The field 'ref' is not a string."),
                (#"["refs/heads/main"]"#, "The body is not an object."),
            ]
            for (text, sentence) in cases {
                let body = Array(text.utf8)
                let response = try await server.request(
                    .post, "/webhooks/\(provider.rawValue)",
                    headers: provider.credential(for: body, secret: secret) + provider.event(), body: body)
                #expect(response.status == .badRequest, "\(text)")
                let answer = try response.decode(ErrorDocument.self)
                #expect(answer.error == "malformed_payload")
                // A sentence for the sender, not Swift's debug text of the decoding error.
                #expect(answer.message.hasSuffix(sentence), "\(text): \(answer.message)")
                for debris in ["DecodingError", "CodingKeys", "codingPath", "debugDescription", "Swift."] {
                    #expect(!answer.message.contains(debris), "\(text): \(answer.message)")
                }
            }
            #expect(await server.endpoint.triggers.isEmpty)
        }
    }

    @Test("GitHub's ping answers 200 without triggering")
    func githubPing() async throws {
        try await RunningServer.with(secrets: [.github: secret]) { server in
            let body = Array(#"{"zen":"Design for failure.","hook_id":1}"#.utf8)
            let response = try await server.request(
                .post, "/webhooks/github",
                headers: WebhookProvider.github.credential(for: body, secret: secret)
                    + WebhookProvider.github.event("ping"),
                body: body)
            #expect(response.status == .ok)
            #expect(try response.decode(WebhookReply.self).message.contains("ping"))
            #expect(await server.endpoint.triggers.isEmpty)
        }
    }

    @Test("GitHub's form-encoded content type carries the payload in a field and triggers as JSON does")
    func githubFormEncoded() async throws {
        try await RunningServer.with(secrets: [.github: secret]) { server in
            let json = String(decoding: pushBody(), as: UTF8.self)
            let encoded = json.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let body = Array("payload=\(encoded)".utf8)
            let headers =
                WebhookProvider.github.credential(for: body, secret: secret) + WebhookProvider.github.event()
                + [.contentType: "application/x-www-form-urlencoded"]
            let response = try await server.request(.post, "/webhooks/github", headers: headers, body: body)
            #expect(response.status == .accepted)
            #expect(await server.endpoint.triggers.count == 1)
        }
    }

    @Test("Forgejo's own header names are accepted on the gitea endpoint")
    func forgejoHeaders() async throws {
        try await RunningServer.with(secrets: [.gitea: secret]) { server in
            let body = pushBody()
            let headers: HTTPFields = [
                HTTPField.Name("X-Forgejo-Signature")!: hmacHex(body, secret),
                HTTPField.Name("X-Forgejo-Event")!: "push",
                HTTPField.Name("X-Forgejo-Delivery")!: "d-42",
            ]
            let response = try await server.request(.post, "/webhooks/gitea", headers: headers, body: body)
            #expect(response.status == .accepted)
            let triggers = await server.endpoint.triggers
            guard case .webhook(let push)? = triggers.first, triggers.count == 1 else {
                Issue.record("expected one webhook trigger, got \(triggers)")
                return
            }
            #expect(push.deliveryID == "d-42")
        }
    }

    @Test("a push deleting the tracked branch is ignored")
    func deletedBranch() async throws {
        try await RunningServer.with(secrets: [.github: secret]) { server in
            let body = Array(
                #"{"ref":"refs/heads/main","after":"0000000000000000000000000000000000000000","deleted":true}"#.utf8)
            let response = try await server.request(
                .post, "/webhooks/github",
                headers: WebhookProvider.github.credential(for: body, secret: secret) + WebhookProvider.github.event(),
                body: body)
            #expect(response.status == .ok)
            #expect(await server.endpoint.triggers.isEmpty)
        }
    }

    @Test("an unknown provider answers 404")
    func unknownProvider() async throws {
        try await RunningServer.with(secrets: [.github: secret]) { server in
            let response = try await server.request(.post, "/webhooks/bitbucket", body: pushBody())
            #expect(response.status == .notFound)
            #expect(try response.decode(ErrorDocument.self).error == "unknown_provider")
        }
    }
}
