import FleetModel
import Logging

/// The metadata a log line carries about what it concerns, spelled the same by every part (docs/logging.md
/// lists the keys): `commit` is always the full hex, `spec` a spec hash's short form.
extension InstanceRecord {
    /// `service`, `instance`, `spec`, `state`, and the `commit` it was created for.
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "service": "\(service)", "instance": "\(id)", "spec": "\(specHash.short)", "state": "\(state.rawValue)",
        ]
        if let revision { metadata["commit"] = "\(revision)" }
        return metadata
    }
}

extension DetectedCommit {
    /// `commit`, `trigger`, and the webhook's `delivery` id when one made the watcher look.
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["commit": "\(commit.hex)"]
        switch trigger {
        case .startup: metadata["trigger"] = "startup"
        case .poll: metadata["trigger"] = "poll"
        case .webhook(let delivery):
            metadata["trigger"] = "webhook"
            if let delivery { metadata["delivery"] = "\(delivery)" }
        }
        return metadata
    }
}
