import FleetModel
import FleetRegistry
import Foundation

/// The converger's events: what happens to instances (told from the registry writes that journal it), drift,
/// and the turning points of a rollout. Every call is a no-op without an ``EventLog``.
extension Converger {
    /// Tells the change of one instance's recorded state, from `before` (nil: no record) to `record`.
    func instanceChanged(from before: InstanceState?, to record: InstanceRecord) async {
        guard let events, before != record.state else { return }
        var fields: [String: FleetEvent.Value] = [
            "specHash": .text(record.specHash.short), "image": .text(record.image),
        ]
        let type: FleetEvent.Kind
        let what: String
        switch record.state {
        case .pending where before == nil:
            (type, what) = (.instanceCreated, "created (spec \(record.specHash.short))")
        case .serving:
            (type, what) = (.instanceServing, "serves")
        case .draining:
            (type, what) = (.instanceDraining, "drains")
        case .quarantined:
            let reason = Self.publicReason(record.reason ?? "failed")
            fields["reason"] = .text(reason)
            (type, what) = (.instanceQuarantined, "quarantined: \(reason)")
        default:
            return
        }
        await events.emit(
            type, service: record.service, instance: record.id, commit: record.revision,
            "\(record.service): instance \(record.id) \(what)", fields: fields)
    }

    /// Tells that the runtime instance of `record` is gone for good.
    func instanceDestroyed(_ record: InstanceRecord) async {
        await events?.emit(
            .instanceDestroyed, service: record.service, instance: record.id, commit: record.revision,
            "\(record.service): instance \(record.id) destroyed",
            fields: ["specHash": .text(record.specHash.short), "image": .text(record.image)])
    }

    /// Tells drift of `kind` (the `kind` label of `gitfleet_drift_found_total`) found on `instance`.
    func driftFound(service: String, instance: String, kind: String, _ message: String) async {
        await events?.emit(
            .driftFound, service: service, instance: instance, "\(service): drift: \(message)",
            fields: ["kind": .text(kind)])
    }

    /// Tells a turning point of `state`'s rollout; `reason` (a failure's) is shown without instance logs.
    func rolloutEvent(
        _ type: FleetEvent.Kind, _ state: RolloutState, _ message: String, reason: String? = nil,
        fields: [String: FleetEvent.Value] = [:]
    ) async {
        guard let events else { return }
        var fields = fields
        fields["specHash"] = .text(state.targetSpecHash.short)
        let reason = reason.map(Self.publicReason)
        if let reason { fields["reason"] = .text(reason) }
        await events.emit(
            type, service: state.service, commit: state.targetRevision,
            "\(state.service): \(message)\(reason.map { ": \($0)" } ?? "")", fields: fields)
    }

    /// A reason as events show it: without the instance log lines a failure reason may quote, which are for
    /// the operator's eyes (the registry, the log), not for every reader of the stream.
    public static func publicReason(_ reason: String) -> String {
        let cut = reason.range(of: "; last log lines:").map { String(reason[..<$0.lowerBound]) } ?? reason
        return cut.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
