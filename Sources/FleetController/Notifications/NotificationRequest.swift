import Crypto
import FleetModel
import Foundation

/// One HTTP request to a notification target: what ``NotificationTarget/request(for:secret:statusURL:)`` makes
/// of an event, and what ``Notifier`` sends (and sends again, unchanged, when it retries).
public struct NotificationRequest: Sendable, Hashable {
    public var method = "POST"
    public var url: String
    /// Holds the secret (a token or a signature); never logged. The body never does.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { [$0.0, $0.1] } == rhs.headers.map { [$0.0, $0.1] }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(url)
        hasher.combine(body)
    }
}

/// A commit status's state, in the words each forge spells it: the state of the commit's deployment, as its
/// git note says it. Only commit-level events set one (``NotificationTarget/commitStatusEvents``): a service's
/// rollout is not the commit's outcome while other services may still fail.
enum CommitStatusState {
    case pending, success, failure
    /// A newer commit took over before this one settled: neither a success nor the commit's fault.
    case superseded

    init?(_ event: FleetEvent) {
        switch event.type {
        case .deploymentStarted: self = .pending
        case .commitRejected: self = .failure
        case .deploymentFinished:
            guard case .text(let word)? = event.fields["result"], let result = DeploymentResult(rawValue: word)
            else { return nil }
            switch result {
            case .converged: self = .success
            case .superseded: self = .superseded
            case .failed, .rolledBack, .rejected: self = .failure
            case .inProgress, .removed: self = .pending
            }
        default: return nil
        }
    }

    func word(for provider: NotificationTarget.Provider) -> String {
        switch (self, provider) {
        // GitLab has no "failure"; "running" is its state of a job under way, which a rollout is.
        case (.pending, .gitlab): return "running"
        case (.failure, .gitlab): return "failed"
        // Each forge's nearest word for "stopped, not failed": GitHub has no such state but `error`.
        case (.superseded, .gitlab): return "canceled"
        case (.superseded, .gitea): return "warning"
        case (.superseded, _): return "error"
        case (.pending, _): return "pending"
        case (.success, _): return "success"
        case (.failure, _): return "failure"
        }
    }
}

extension NotificationTarget {
    /// The request telling this target about `event`, or nil when the target has nothing to say about it (a
    /// commit status for an event without a commit, or of a kind that is not an outcome).
    ///
    /// `secret` goes into the authorization header or the HMAC key only. `statusURL` is the link a person
    /// follows from the status or message.
    public func request(for event: FleetEvent, secret: String, statusURL: String?) -> NotificationRequest? {
        let json = [("Content-Type", "application/json"), ("User-Agent", "gitfleet")]
        switch provider {
        case .github, .gitea, .gitlab:
            guard let commit = event.commit, let state = CommitStatusState(event), let repository, let apiBase
            else { return nil }
            var body: [String: String] = [
                "state": state.word(for: provider),
                "description": Self.statusDescription(Self.outcome(of: event)),
            ]
            body[provider == .gitlab ? "name" : "context"] = context
            if let statusURL { body["target_url"] = statusURL }
            switch provider {
            case .github:
                return NotificationRequest(
                    url: "\(apiBase)/repos/\(repository)/statuses/\(commit)", headers: githubHeaders(secret),
                    body: Self.encode(body))
            case .gitea:
                return NotificationRequest(
                    url: "\(apiBase)/repos/\(repository)/statuses/\(commit)",
                    headers: json + [("Accept", "application/json"), ("Authorization", "token \(secret)")],
                    body: Self.encode(body))
            default:
                // GitLab takes a numeric id or the URL-encoded `group/name` path.
                let project =
                    repository.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_", "."]))
                    ?? repository
                return NotificationRequest(
                    url: "\(apiBase)/projects/\(project)/statuses/\(commit)",
                    headers: json + [("PRIVATE-TOKEN", secret)], body: Self.encode(body))
            }
        case .slack:
            var text = "gitfleet: \(event.message)"
            if let statusURL { text += " (<\(statusURL)|status>)" }
            return NotificationRequest(url: secret, headers: json, body: Self.encode(["text": text]))
        case .webhook:
            guard let url, let body = try? FleetEvent.encoder().encode(event) else { return nil }
            let bytes = Array(body)
            let mac = HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: Array(secret.utf8)))
            return NotificationRequest(
                url: url,
                headers: json + [
                    ("X-Gitfleet-Event", event.type.rawValue), ("X-Gitfleet-Delivery", "\(event.id)"),
                    ("X-Gitfleet-Signature", "sha256=\(Hex.lowercase(mac))"),
                ],
                body: bytes)
        }
    }

    /// What a commit status says happened to its commit, which it is about, so without the commit's id.
    static func outcome(of event: FleetEvent) -> String {
        let field = { (key: String) -> String? in event.fields[key].map(\.description) }
        switch event.type {
        case .deploymentStarted:
            return "deploying \(field("services") ?? "its") services"
        case .deploymentFinished:
            let result = field("result") ?? ""
            switch result {
            case DeploymentResult.converged.rawValue:
                // `api=converged old=removed` reads `converged: api, old removed`.
                let services = (field("services") ?? "").split(separator: " ").map {
                    $0.hasSuffix("=converged") ? String($0.dropLast(10)) : $0.replacingOccurrences(of: "=", with: " ")
                }
                return services.isEmpty ? "converged" : "converged: " + services.joined(separator: ", ")
            case DeploymentResult.superseded.rawValue:
                return "superseded by " + (field("by").map { String($0.prefix(12)) } ?? "a newer commit")
            default:
                return result.replacingOccurrences(of: "-", with: " ") + (field("reason").map { ": \($0)" } ?? "")
            }
        case .commitRejected:
            return "rejected" + (field("reason").map { ": \($0)" } ?? "")
        default:
            return event.message
        }
    }

    /// GitHub cuts a status description at 140 characters; every forge gets the same, cut on a character.
    static func statusDescription(_ message: String) -> String {
        message.count <= 140 ? message : String(message.prefix(139)) + "…"
    }

    /// What every GitHub REST request carries: JSON, the API version these requests follow, the token.
    func githubHeaders(_ secret: String) -> [(String, String)] {
        [
            ("Content-Type", "application/json"), ("User-Agent", "gitfleet"),
            ("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28"),
            ("Authorization", "Bearer \(secret)"),
        ]
    }

    static func encode(_ object: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(object)) ?? Data("{}".utf8))
    }
}
