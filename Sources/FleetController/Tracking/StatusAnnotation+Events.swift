import FleetGit
import FleetModel

extension StatusAnnotation {
    /// The `deployment-finished` event's message and fields for this note, the last one a deployment gets:
    /// commit statuses, Slack and webhooks report what the git note says, so the two never disagree.
    ///
    /// `services` lists each service's own result (`api=converged web=rolled-back`, by name), `reason` why the
    /// deployment did not converge, and `by` the commit that superseded it.
    public func deploymentFinished(supersededBy newer: CommitID? = nil) -> (
        message: String, fields: [String: FleetEvent.Value]
    ) {
        let short = String(revision.prefix(12))  // as `CommitID.short`
        var fields: [String: FleetEvent.Value] = [
            "result": .text(result.rawValue),
            "services": .text(
                services.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.result.rawValue)" }
                    .joined(separator: " ")),
        ]
        // One line: a note's reason has one line per failed service.
        let reason = reason?.split(separator: "\n").joined(separator: "; ")
        if let reason { fields["reason"] = .text(reason) }
        let message: String
        switch result {
        case .superseded:
            if let newer { fields["by"] = .text(newer.hex) }
            message = "\(short) superseded by \(newer?.short ?? "a newer commit") before it settled"
        case .converged:
            message = "\(short) converged (\(services.count) services)"
        default:
            message =
                "\(short) \(result.rawValue.replacingOccurrences(of: "-", with: " "))"
                + (reason.map { ": \($0)" } ?? "")
        }
        return (message, fields)
    }
}
