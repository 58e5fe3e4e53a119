import FleetModel
import Foundation

/// The text form of `gitfleet audit at`: per service what ran and who put it there, then what was rolling out.
/// Every line is documented in docs/cli.md; times are UTC as ``AuditTime/format(_:)`` writes them, commits in full.
enum AuditText {
    /// `timeline` is the record `moment` was read from: it says when a deployment first came, for a moment before it.
    static func render(_ moment: AuditMoment, timeline: AuditTimeline) -> String {
        var lines = ["at \(AuditTime.format(moment.time))"]
        if moment.services.isEmpty {
            let first = timeline.firstStarted.map { "the first deployment began at \(AuditTime.format($0))" }
            lines.append("nothing runs: \(first ?? "the record has no deployment")")
        }
        for state in moment.services {
            lines.append("")
            lines += self.state(state, timeline: timeline)
        }
        lines.append("")
        if moment.inProgress.isEmpty {
            lines.append("in progress: nothing")
        } else {
            lines.append("in progress:")
            for deployment in moment.inProgress {
                lines += self.deployment(deployment, label: "deployment", indent: "  ")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func state(_ state: AuditServiceState, timeline: AuditTimeline) -> [String] {
        let name = state.service
        let change = state.deployment?.services.first
        var lines: [String]
        switch state.state {
        case .notDeployed:
            let first = timeline.firstStarted(of: name)
            return [
                "\(name): not-deployed, nothing runs"
                    + (first.map { " (its first deployment began at \(AuditTime.format($0)))" } ?? "")
            ]
        case .running:
            lines = ["\(name): running \(state.image ?? unnamed)"]
        case .rolledBack:
            lines = ["\(name): rolled-back, running \(state.image ?? unnamed)"]
        case .failed:
            lines = ["\(name): failed, \(mixture(change)) may run"]
        case .superseded:
            lines = ["\(name): superseded, \(mixture(change)) may run until a later deployment settles it"]
        case .removed:
            lines = ["\(name): removed, nothing runs"]
        }
        if let since = state.since { lines.append("  since \(AuditTime.format(since))") }
        if let action = state.action {
            var line = "  rolled back by \(action.by) at \(AuditTime.format(action.at))"
            if let outcome = action.outcome { line += ": \(outcome)" }
            lines.append(line)
            if let reason = action.reason { lines.append(row("reason", firstLine(reason), indent: "  ")) }
            lines.append(row("commit", action.commit, indent: "  "))
        }
        if let rollback = state.rollback {
            lines += deployment(rollback, label: "rolled back in", indent: "  ")
        }
        let label: String
        switch state.state {
        case .failed: label = "failed in"
        case .superseded: label = "superseded in"
        case .removed: label = "removed by"
        default: label = "deployed by"
        }
        if let deployment = state.deployment {
            lines += self.deployment(deployment, label: label, indent: "  ")
        } else if state.state == .rolledBack {
            lines.append("  deployed by: not in the record")
        }
        return lines
    }

    /// What the line of a service says when the record does not name its image.
    static let unnamed = "an image the record does not name"

    /// `KEY VALUE` under a block at `indent`, the values in one column.
    static func row(_ key: String, _ value: String, indent: String) -> String {
        indent + "  " + key.padding(toLength: 11, withPad: " ", startingAt: 0) + value
    }

    /// `instances of FROM and TO` (or of the one there is) of a failed or superseded rollout.
    static func mixture(_ change: AuditDeployment.Change?) -> String {
        let images = [change?.from, change?.to].compactMap { $0 }
        return images.isEmpty ? "instances of what it ran before" : "instances of " + images.joined(separator: " and ")
    }

    /// A deployment: its commit and subject, then one line per fact.
    static func deployment(_ deployment: AuditDeployment, label: String, indent: String) -> [String] {
        func row(_ key: String, _ value: String) -> String { AuditText.row(key, value, indent: indent) }
        var lines = ["\(indent)\(label) \(deployment.commit)  \(deployment.message)"]
        let finished = deployment.finished.map { "finished \(AuditTime.format($0))" } ?? "not finished"
        lines.append(
            row("result", "\(deployment.result.rawValue), started \(AuditTime.format(deployment.started)), \(finished)")
        )
        for change in deployment.services {
            var value = "\(change.result.rawValue)"
            // A service the deployment left at its image names it once; a new one came from nothing, a removed one
            // goes to nothing.
            if change.from != nil || change.to != nil {
                let images =
                    change.from == change.to ? [change.to ?? ""] : [change.from ?? "nothing", change.to ?? "nothing"]
                value += ", " + images.joined(separator: " → ")
            }
            if let settled = change.settled { value += ", settled \(AuditTime.format(settled))" }
            lines.append(row("service", "\(change.service) \(value)"))
        }
        lines.append(row("author", deployment.author))
        lines.append(row("committer", deployment.committer ?? "not recorded"))
        if deployment.signature == AuditDeployment.unverified {
            lines.append(row("signer", AuditDeployment.unverified))
        } else {
            lines.append(row("signer", "\(deployment.signer ?? "not recorded") (\(deployment.signature))"))
        }
        if let reason = deployment.reason { lines.append(row("reason", firstLine(reason))) }
        return lines
    }

    /// The first line of `text`, and ` …` when there is more (`--json` has it all).
    static func firstLine(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let rest = lines.dropFirst().contains { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return String(lines.first ?? "") + (rest ? " …" : "")
    }
}
