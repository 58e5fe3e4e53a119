import Foundation
import HTTPTypes
import Hummingbird

/// One webhook request, judged: is it authentic, is it a push, and to which ref.
///
/// Pure (no I/O), so every provider's rules are in one place and the HTTP handler only maps verdicts to responses.
/// `@_spi(Fuzzing)`: open to the libFuzzer targets in `Fuzz/`, which feed it what the HTTP handler would.
@_spi(Fuzzing) public struct WebhookDelivery {
    let provider: WebhookProvider
    let headers: HTTPFields
    let body: [UInt8]

    public init(provider: WebhookProvider, headers: HTTPFields, body: [UInt8]) {
        self.provider = provider
        self.headers = headers
        self.body = body
    }

    public enum Verdict: Equatable {
        /// The credential is missing or wrong: 401, nothing triggered.
        case unauthorized(String)
        /// Authentic, but the payload cannot be read: 400.
        case malformed(String)
        /// Authentic and understood, but not a push to the tracked branch: acknowledged with 200.
        case ignored(String)
        /// Authentic push to the tracked branch: trigger, 202.
        case push(WebhookPush)
    }

    public func verdict(secret: WebhookSecret, trackedBranch: String) -> Verdict {
        if let refusal = authenticate(secret: secret) {
            return .unauthorized(refusal)
        }
        let event: String?
        switch provider {
        case .github:
            event = header("X-GitHub-Event")
            if event == "ping" {
                return .ignored("ping received; the webhook is set up")
            }
            guard event == "push" else { return .ignored("event '\(event ?? "")' is not a push") }
        case .gitlab:
            event = header("X-Gitlab-Event")
            guard event == "Push Hook" else { return .ignored("event '\(event ?? "")' is not a Push Hook") }
        case .gitea:
            event = header("X-Forgejo-Event") ?? header("X-Gitea-Event")
            guard event == "push" else { return .ignored("event '\(event ?? "")' is not a push") }
        case .generic:
            event = nil
        }
        let payload: PushPayload
        do {
            payload = try JSONDecoder().decode(PushPayload.self, from: Data(payloadJSON()))
        } catch let error as DecodingError {
            return .malformed("The body is not a push payload with a string 'ref'. \(error.sentence)")
        } catch {
            return .malformed("The body is not a push payload with a string 'ref'.")
        }
        return classify(payload, trackedBranch: trackedBranch)
    }

    /// `nil` when the request carries a valid credential, otherwise why not.
    private func authenticate(secret: WebhookSecret) -> String? {
        switch provider {
        case .github:
            return checkPrefixedHMAC(header: "X-Hub-Signature-256", secret: secret)
        case .generic:
            return checkPrefixedHMAC(header: "X-Signature-256", secret: secret)
        case .gitea:
            guard let signature = header("X-Forgejo-Signature") ?? header("X-Gitea-Signature") else {
                return "missing X-Gitea-Signature (or X-Forgejo-Signature) header"
            }
            return WebhookSignature.isValidHMAC(hex: Substring(signature), body: body, secret: secret)
                ? nil : "signature does not match the body"
        case .gitlab:
            guard let token = header("X-Gitlab-Token") else { return "missing X-Gitlab-Token header" }
            return WebhookSignature.tokenMatches(token, secret: secret) ? nil : "token does not match"
        }
    }

    private func checkPrefixedHMAC(header name: String, secret: WebhookSecret) -> String? {
        guard let signature = header(name) else { return "missing \(name) header" }
        guard signature.hasPrefix("sha256=") else { return "\(name) must be 'sha256=<hex>'" }
        return WebhookSignature.isValidHMAC(hex: signature.dropFirst("sha256=".count), body: body, secret: secret)
            ? nil : "signature does not match the body"
    }

    /// GitHub can be set to send `application/x-www-form-urlencoded` with the JSON in a `payload` field (its
    /// default content type); every other sender, and GitHub's JSON setting, send the JSON itself.
    private func payloadJSON() -> [UInt8] {
        guard provider == .github,
            header("Content-Type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
        else { return body }
        let form = String(decoding: body, as: UTF8.self)
        for field in form.split(separator: "&") where field.hasPrefix("payload=") {
            let value = field.dropFirst("payload=".count).replacingOccurrences(of: "+", with: " ")
            return Array((value.removingPercentEncoding ?? "").utf8)
        }
        return []
    }

    private func classify(_ payload: PushPayload, trackedBranch: String) -> Verdict {
        let tracked = trackedBranch.hasPrefix("refs/heads/") ? trackedBranch : "refs/heads/\(trackedBranch)"
        guard payload.ref == tracked else {
            if payload.ref.hasPrefix("refs/tags/") {
                return .ignored("tag push to \(payload.ref) ignored; gitfleet deploys \(tracked)")
            }
            return .ignored("push to \(payload.ref) ignored; gitfleet deploys \(tracked)")
        }
        let deleted =
            payload.deleted == true || (payload.after.map { !$0.isEmpty && $0.allSatisfy { $0 == "0" } } ?? false)
        if deleted {
            return .ignored("\(tracked) was deleted; nothing to deploy")
        }
        return .push(WebhookPush(provider: provider, ref: payload.ref, revision: payload.after, deliveryID: deliveryID))
    }

    /// The sender's id of this delivery, for correlating logs with the sender's delivery log.
    var deliveryID: String? {
        switch provider {
        case .github: header("X-GitHub-Delivery")
        case .gitlab: header("X-Gitlab-Event-UUID")
        case .gitea: header("X-Forgejo-Delivery") ?? header("X-Gitea-Delivery")
        case .generic: header("X-Delivery-ID")
        }
    }

    private func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { headers[$0] }
    }

    /// The fields of a push event that gitfleet reads; providers send many more.
    private struct PushPayload: Decodable {
        var ref: String
        var after: String?
        var deleted: Bool?
    }
}
