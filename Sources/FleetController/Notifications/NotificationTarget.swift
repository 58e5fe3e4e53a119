import Foundation

/// One place the controller tells about commits and rollouts: a forge's commit status, a Slack channel or a
/// generic webhook, with the events it wants and the file holding its secret.
///
/// Written as one line, so the same text works in the configuration file (one item of a YAML list), the
/// environment and flags (comma-separated): a provider, then `key=value` words.
///
/// ```
/// github repo=acme/fleet secretFile=/run/secrets/github-token
/// gitlab project=acme/fleet secretFile=/run/secrets/gitlab-token api=https://gitlab.example.com/api/v4
/// gitea repo=acme/fleet secretFile=/run/secrets/gitea-token api=https://gitea.example.com/api/v1
/// slack secretFile=/run/secrets/slack-webhook-url events=deployment-finished+rollout-rolled-back
/// webhook url=https://hooks.example.com/gitfleet secretFile=/run/secrets/hmac-key
/// ```
///
/// The secret is never written into the line itself, so configuration can be shown and logged: for a forge it
/// is the access token, for Slack the incoming webhook's URL (which is the credential), for a webhook the HMAC key.
public struct NotificationTarget: Sendable, Hashable, CustomStringConvertible {
    public enum Provider: String, Sendable, Hashable, CaseIterable {
        case github, gitlab, gitea, slack, webhook
    }

    public var provider: Provider
    /// `owner/name` (GitHub, Gitea) or the project's id or `group/name` path (GitLab).
    public var repository: String?
    /// The API base URL of a forge; the webhook's URL.
    public var url: String?
    public var secretFile: String
    /// The commit status's context (GitHub, Gitea) or name (GitLab).
    public var context: String
    public var events: Set<FleetEvent.Kind>
    /// GitHub only: the environment of a GitHub deployment made for each commit (`deployments=production`), beside
    /// its commit status; nil for none.
    public var environment: String? = nil

    /// The events a target wants when it names none: those that say how a commit fared, as a whole. A
    /// service's rollout is not the commit's outcome while its other services may still fail.
    public static let reportedEvents: [FleetEvent.Kind] = [.deploymentStarted, .deploymentFinished, .commitRejected]

    /// The events that set a commit status, and so all a forge's target may name: pending when a
    /// deployment starts, its result when it ends, failure for a rejected commit.
    public static let commitStatusEvents: Set<FleetEvent.Kind> = Set(reportedEvents)

    /// Whether the target reports as a forge's commit status (one state per commit), rather than as messages.
    public var setsCommitStatus: Bool { [.github, .gitlab, .gitea].contains(provider) }

    /// The target's name in metrics and logs: its provider and repository or host, never its secret.
    public var name: String {
        if let repository { return "\(provider.rawValue):\(repository)" }
        if provider == .webhook, let host = url.flatMap({ URL(string: $0)?.host }) { return "webhook:\(host)" }
        return provider.rawValue
    }

    /// The API base when none is configured: the public service's. Gitea has no public one, so it must be set.
    var apiBase: String? {
        if let url { return url.hasSuffix("/") ? String(url.dropLast()) : url }
        switch provider {
        case .github: return "https://api.github.com"
        case .gitlab: return "https://gitlab.com/api/v4"
        case .gitea, .slack, .webhook: return nil
        }
    }

    public var description: String {
        var words = [provider.rawValue]
        if let repository { words.append("\(provider == .gitlab ? "project" : "repo")=\(repository)") }
        if let url { words.append("\(provider == .webhook ? "url" : "api")=\(url)") }
        words.append("secretFile=\(secretFile)")
        if context != "gitfleet" { words.append("context=\(context)") }
        if let environment { words.append("deployments=\(environment)") }
        if events != Set(Self.reportedEvents) {
            words.append(
                "events=" + FleetEvent.Kind.allCases.filter(events.contains).map(\.rawValue).joined(separator: "+"))
        }
        return words.joined(separator: " ")
    }

    /// Parses one target, explaining what is missing or wrong.
    public static func parse(_ text: String) -> Result<NotificationTarget, NotificationTargetError> {
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard !words.isEmpty else { return .failure(.init("a notification target is empty")) }
        let first = words.removeFirst()
        guard let provider = Provider(rawValue: first) else {
            let names = Provider.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(.init("'\(first)' is not a notification provider (expected one of \(names))"))
        }
        var values: [String: String] = [:]
        for word in words {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                return .failure(.init("'\(word)' in the \(provider.rawValue) target is not key=value"))
            }
            values[String(word[..<equals])] = String(word[word.index(after: equals)...])
        }
        let repositoryKey = provider == .gitlab ? "project" : "repo"
        let urlKey = provider == .webhook ? "url" : "api"
        var allowed: Set<String> = ["secretFile", "events"]
        switch provider {
        case .github: allowed.formUnion([repositoryKey, urlKey, "context", "deployments"])
        case .gitea, .gitlab: allowed.formUnion([repositoryKey, urlKey, "context"])
        case .webhook: allowed.insert(urlKey)
        case .slack: break
        }
        for key in values.keys.sorted() where !allowed.contains(key) {
            let keys = allowed.sorted().joined(separator: ", ")
            return .failure(.init("the \(provider.rawValue) target has no key '\(key)' (expected \(keys))"))
        }
        guard let secretFile = values["secretFile"], !secretFile.isEmpty else {
            return .failure(.init("the \(provider.rawValue) target needs secretFile=PATH"))
        }
        var target = NotificationTarget(
            provider: provider, repository: values[repositoryKey], url: values[urlKey], secretFile: secretFile,
            context: values["context"] ?? "gitfleet", events: Set(reportedEvents), environment: values["deployments"])
        if target.environment?.isEmpty == true {
            return .failure(
                .init("the github target's deployments= needs an environment's name (deployments=production)"))
        }
        if target.setsCommitStatus, target.repository == nil {
            return .failure(.init("the \(provider.rawValue) target needs \(repositoryKey)=…"))
        }
        if (provider == .webhook || provider == .gitea) && target.url == nil {
            return .failure(.init("the \(provider.rawValue) target needs \(urlKey)=URL"))
        }
        if let url = target.url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) || URL(string: url) == nil {
            return .failure(.init("'\(url)' in the \(provider.rawValue) target is not an http:// or https:// URL"))
        }
        if let list = values["events"] {
            var events: Set<FleetEvent.Kind> = []
            for name in list.split(separator: "+").map(String.init) {
                guard let kind = FleetEvent.Kind(rawValue: name) else {
                    let names = FleetEvent.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                    return .failure(
                        .init("'\(name)' in the \(provider.rawValue) target is not an event type (expected \(names))"))
                }
                if target.setsCommitStatus && !commitStatusEvents.contains(kind) {
                    let names = reportedEvents.map(\.rawValue).joined(separator: ", ")
                    return .failure(
                        .init(
                            "'\(name)' cannot set the \(provider.rawValue) target's commit status, which follows the "
                                + "commit's deployment (expected \(names))"))
                }
                events.insert(kind)
            }
            target.events = events
        }
        return .success(target)
    }

    /// Targets comma-separated, as the environment and flags (and a YAML list, joined) give them.
    public static func list(_ text: String) -> Result<[NotificationTarget], NotificationTargetError> {
        var targets: [NotificationTarget] = []
        for item in text.split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
            switch parse(String(item)) {
            case .success(let target): targets.append(target)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(targets)
    }
}

/// Why a notification target's text is not one.
public struct NotificationTargetError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
