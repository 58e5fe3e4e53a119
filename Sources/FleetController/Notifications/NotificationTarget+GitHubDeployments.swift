import FleetModel
import Foundation

/// The GitHub Deployments API's side of a `github` target with `deployments=ENVIRONMENT`: a GitHub deployment of
/// each commit to that environment, whose statuses follow the commit's deployment (`in_progress`, then
/// `success`, `failure` or, superseded, `inactive`), so the repository's environments and a pull request's
/// timeline show what runs where. The commit status is sent as well.
///
/// A deployment is created once per commit, and its id comes back in the answer; ``Notifier`` remembers it
/// until the commit's deployment finished, and creates one then if it has none (a restarted controller).
extension NotificationTarget {
    /// The deployment status's state for `event`, or nil when the event is not about a commit's deployment.
    static func deploymentState(of event: FleetEvent) -> String? {
        switch CommitStatusState(event) {
        case .pending where event.type == .deploymentStarted: return "in_progress"
        case .success: return "success"
        case .failure where event.type == .deploymentFinished: return "failure"
        case .superseded: return "inactive"
        default: return nil
        }
    }

    /// `POST {api}/repos/{repo}/deployments` for `event`'s commit: not merged into anything, and not held back
    /// by the commit's statuses (gitfleet's own is still pending while it deploys).
    func createDeployment(for event: FleetEvent, secret: String) -> NotificationRequest? {
        guard let environment, let commit = event.commit, let repository, let apiBase else { return nil }
        struct Body: Encodable {
            var ref: String
            var environment: String
            var description: String
            var autoMerge = false
            var requiredContexts: [String] = []

            enum CodingKeys: String, CodingKey {
                case ref, environment, description
                case autoMerge = "auto_merge"
                case requiredContexts = "required_contexts"
            }
        }
        let body = Body(
            ref: commit, environment: environment,
            description: Self.statusDescription("gitfleet deploys \(commit.prefix(12))"))
        return NotificationRequest(
            url: "\(apiBase)/repos/\(repository)/deployments", headers: githubHeaders(secret),
            body: Self.encode(body))
    }

    /// `POST {api}/repos/{repo}/deployments/{id}/statuses` telling deployment `id` what `event` says.
    func deploymentStatus(_ id: Int, for event: FleetEvent, secret: String, statusURL: String?)
        -> NotificationRequest?
    {
        guard let state = Self.deploymentState(of: event), let repository, let apiBase else { return nil }
        var body = ["state": state, "description": Self.statusDescription(Self.outcome(of: event))]
        if let statusURL { body["log_url"] = statusURL }
        return NotificationRequest(
            url: "\(apiBase)/repos/\(repository)/deployments/\(id)/statuses", headers: githubHeaders(secret),
            body: Self.encode(body))
    }

    /// The id in GitHub's answer to ``createDeployment(for:secret:)``.
    static func deploymentID(in answer: [UInt8]) -> Int? {
        (try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])?["id"] as? Int
    }
}
