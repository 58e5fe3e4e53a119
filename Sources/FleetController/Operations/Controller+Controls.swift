import FleetModel
import FleetRegistry
import Foundation

extension Controller {
    /// ``ServiceControl`` asked of the running controller (`POST /api/v1/services/{name}/suspend`, `…/resume`,
    /// `…/rollback`): only the leader writes; an applied control is recorded (``record(_:event:_:fields:)``) and
    /// the reconciler is woken, so a resume or a rollback rolls out at once rather than at the next resync.
    ///
    /// Throws what the registry throws; a `RegistryError` with code `.conflict` when the rollout changed between
    /// reading and writing it.
    public func control(_ action: ServiceControl.Action, service: String, attribution: Attribution) async throws
        -> ServiceControl.Outcome
    {
        try await act(action, service: service, attribution: attribution)
    }

    /// ``ServiceControl/applyToFleet(_:attribution:in:)`` asked of the running controller (`POST /api/v1/suspend`,
    /// `POST /api/v1/resume`): as ``control(_:service:attribution:)``, for every service at once.
    public func controlFleet(_ action: ServiceControl.Action, attribution: Attribution) async throws
        -> ServiceControl.Outcome
    {
        try await act(action, service: nil, attribution: attribution)
    }

    /// A control of `service`, or of the whole fleet without one: written by the leader, recorded, then a pass.
    private func act(_ action: ServiceControl.Action, service: String?, attribution: Attribution) async throws
        -> ServiceControl.Outcome
    {
        if let leadership, !(await leadership.isLeader) {
            return .notLeader(leader: await snapshot().leader)
        }
        let registry = reconciler.registry
        // Before the write: a pass that reads it first must know it is recorded here.
        await reconciler.willRecord(attribution)
        let outcome =
            if let service {
                try await ServiceControl.apply(action, service: service, attribution: attribution, in: registry)
            } else {
                try await ServiceControl.applyToFleet(action, attribution: attribution, in: registry)
            }
        let subject = service ?? "the fleet"
        let who = attribution.by == "anonymous" ? "an operator" : attribution.by
        let why = attribution.reason.map { ": \($0)" } ?? ""
        func recorded(_ outcome: String) -> OperatorAction {
            OperatorAction(
                action: action.rawValue, service: service, by: attribution.by, at: attribution.at,
                reason: attribution.reason, outcome: outcome)
        }
        switch outcome {
        case .suspended:
            await record(
                recorded("new specs wait until resumed"), event: .serviceSuspended,
                "\(subject) is suspended by \(who)\(why): new specs wait, healing goes on")
        case .resumed(let lifted):
            await record(
                recorded("suspension by \(lifted.by) lifted"), event: .serviceResumed,
                "\(subject) is resumed by \(who)\(why): what Git asks for rolls out",
                fields: ["suspendedBy": .text(lifted.by)])
        case .pinned(let pin):
            await record(
                recorded("back to \(pin.specHash.short) (\(pin.spec.image)) until a commit changes it"),
                event: .servicePinned,
                "\(subject) is rolled back to \(pin.specHash.short) (\(pin.spec.image)) by \(who)\(why); it stays "
                    + "there until a commit changes it",
                fields: ["specHash": .text(pin.specHash.short), "image": .text(pin.spec.image.description)]
                    .merging(pin.revision.map { ["revision": .text($0)] } ?? [:]) { $1 })
        case .refused, .unknownService, .notLeader:
            return outcome
        }
        reconciler.requestPass()
        return outcome
    }

    /// Records an operator's action: tells it as an event of type `event` (with the action's `by` and `reason`
    /// beside `fields`) and adds it to the note of the commit the fleet is at (``Reconciler/currentCommit``), where
    /// it stays when the deployment tracker rewrites that note later. Every action goes through here, whichever
    /// way it came (API, dashboard), so the record cannot differ between them.
    public func record(
        _ action: OperatorAction, event: FleetEvent.Kind, _ message: String, fields: [String: FleetEvent.Value] = [:]
    ) async {
        await reconciler.record(action, event: event, message, fields: fields)
    }
}
