import FleetController
import FleetModel
import FleetPlanner
import Foundation

/// What the dashboard's templates render: plain values only, every one escaped by Mustache on the way out.
///
/// Built from the documents the JSON API serves (`StatusDocument`, `ServiceDocument`, the live state, the
/// notes), so a page never shows something the API does not; these types only pick, order and word it.
enum DashboardView {
    /// The frame every page shares.
    struct Layout {
        var title: String
        /// The page's own HTML, rendered from its template (so already escaped).
        var content: String
        var flash: String?
        /// Who is signed in, when the server has tokens.
        var caller: String?
        var scope: String?
        /// `FleetEvent.Kind` raw values, for the script's `EventSource` listeners.
        var eventKinds: String
        /// The newest event when the page was rendered: the live stream starts after it.
        var lastEventID: String
    }

    struct CommitLink {
        var id: String
        var short: String
        var path: String

        init?(_ id: String?) {
            guard let id, !id.isEmpty else { return nil }
            self.id = id
            short = String(id.prefix(10))
            path = "/commits/" + (DashboardSession.percentEncoded(id) ?? id)
        }
    }

    /// A marker next to a service: suspended, frozen, paused at a gate, pinned by a rollback.
    struct Marker {
        var label: String
        var detail: String
        var kind: String
    }

    /// An action button: posts to `/ui/…`, which calls the API route the contract names.
    struct Action {
        var label: String
        var path: String
        var kind: String
    }

    struct Fleet {
        var name: String
        var phase: String
        var branch: String
        var deployed: CommitLink?
        var fetched: CommitLink?
        /// The fetched commit is ahead of the deployed one (a rollout runs, or the commit was rejected).
        var behind: Bool
        var lastFetch: String?
        var lastReconcile: String?
        var problems: [String]
        var role: String?
        var leader: String?
        var discoveryState: String?
        var discoveryFailing: Bool
        var suspended: Marker?
        var freeze: [Marker]
        var nextFreeze: String?
        var services: [ServiceRow]
        var events: [Event]
        var actions: [Action]
        var reasonField: Bool
    }

    struct ServiceRow {
        var name: String
        var path: String
        var phase: String
        var desiredImage: String?
        var running: [String]
        var ready: Int
        var replicas: Int
        var percent: Int
        var rollout: String?
        var markers: [Marker]
        var reason: String?
    }

    struct Service {
        var name: String
        var phase: String
        var reason: String?
        var markers: [Marker]
        var desiredImage: String?
        var specHash: String?
        var revision: CommitLink?
        var ready: Int
        var replicas: Int
        var percent: Int
        var rollout: Rollout?
        var instances: [Instance]
        var quarantined: [KeptLogs]
        var history: [HistoryRow]
        var operatorActions: [OperatorAction]
        var historyUnavailable: String?
        var actions: [Action]
        var reasonField: Bool
    }

    struct Rollout {
        var phase: String
        var target: String
        var targetRevision: CommitLink?
        var lastGood: String?
        var lastGoodRevision: CommitLink?
        var failed: [String]
        var message: String?
        var gate: String?
        var steps: [Step]
    }

    /// One step of the desired spec's strategy, and whether the rollout has passed it.
    struct Step {
        var text: String
        var state: String
    }

    struct Instance {
        var id: String
        var state: String
        var age: String
        var address: String?
        var digest: String
        var specHash: String
        var current: Bool
        /// Named apart from the service's `reason`: Mustache would show the service's for an instance without one.
        var failure: String?
        var logsPath: String
    }

    struct KeptLogs {
        var id: String
        var failure: String?
        var text: String
    }

    struct HistoryRow {
        var commit: CommitLink?
        var summary: String
        var author: String
        var signer: String?
        var result: String?
        var change: String?
        var when: String
        var noteReason: String?
    }

    /// One operator action a note records: who did what, when, why, and what came of it.
    struct OperatorAction {
        var what: String
        var servicePath: String?
        var service: String?
        var by: String
        var when: String
        var why: String?
        var outcome: String?
        /// The commit whose note holds it; named apart from the commit page's own `commit`, which Mustache would
        /// find instead of a missing one.
        var atCommit: CommitLink?
    }

    struct Commit {
        var commit: String
        var short: String
        var state: String
        var summary: String?
        var author: String?
        var date: String?
        var signature: String?
        var handledAs: CommitLink?
        var notedAt: String?
        var reason: String?
        var errors: [String]
        var services: [CommitService]
        var operatorActions: [OperatorAction]
    }

    struct CommitService {
        var name: String
        var path: String
        var result: String
        var change: String?
        var created: Int
        var destroyed: Int
        var took: String?
        var serviceReason: String?
    }

    struct Event {
        var id: String
        var time: String
        var type: String
        var service: String?
        var servicePath: String?
        var message: String
        var commit: CommitLink?
        var by: String?
    }

    struct Events {
        var events: [Event]
    }

    struct SignIn {
        var next: String
        var problem: String?
        var open: Bool
    }

    struct Message {
        var heading: String
        var message: String
    }
}

extension DashboardView {
    /// A time as the pages show it: UTC to the second, the zone named.
    static func time(_ date: Date?) -> String? {
        guard let date else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    /// How long ago `date` was, in the largest whole unit: `42s`, `5m`, `3h`, `2d`.
    static func age(since date: Date, now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<7200: return "\(seconds / 60)m"
        case ..<172_800: return "\(seconds / 3600)h"
        default: return "\(seconds / 86400)d"
        }
    }

    static func percent(ready: Int, of replicas: Int) -> Int {
        replicas <= 0 ? 100 : min(100, ready * 100 / replicas)
    }

    /// `from → to` of one service in a note, or the one image when the commit left it unchanged.
    static func change(from: String?, to: String?) -> String? {
        switch (from, to) {
        case (let from?, let to?) where from != to: return "\(from) → \(to)"
        case (_, let to?): return to
        case (let from?, nil): return "\(from) → (removed)"
        case (nil, nil): return nil
        }
    }

    static func servicePath(_ name: String) -> String {
        "/services/" + (DashboardSession.percentEncoded(name) ?? name)
    }

    static func marker(suspended hold: Attribution, fleetWide: Bool) -> Marker {
        Marker(
            label: fleetWide ? "fleet suspended" : "suspended",
            detail: describe(by: hold.by, at: hold.at, reason: hold.reason), kind: "suspended")
    }

    /// The day-2 markers of one service: suspended (by itself, or with the whole fleet), frozen by the windows
    /// that cover it, paused at a canary gate, pinned by a rollback.
    static func markers(
        suspended: Attribution?, pinned: PinSummary?, gate: CanaryGate?, fleetSuspended: Attribution?,
        frozenBy windows: [FreezeWindowSummary], service: String
    ) -> [Marker] {
        var markers: [Marker] = []
        if let hold = suspended ?? fleetSuspended {
            markers.append(marker(suspended: hold, fleetWide: hold == fleetSuspended))
        }
        for window in windows where window.services?.contains(service) ?? true {
            markers.append(frozen(by: window))
        }
        if let gate {
            markers.append(Marker(label: "paused", detail: gateText(gate), kind: "paused"))
        }
        if let pin = pinned {
            markers.append(
                Marker(
                    label: "pinned",
                    detail: "held at \(pin.specHash.rawValue.prefix(12)) (\(pin.image)) "
                        + describe(by: pin.by, at: pin.at, reason: pin.reason), kind: "pinned"))
        }
        return markers
    }

    static func frozen(by window: FreezeWindowSummary) -> Marker {
        Marker(
            label: "frozen",
            detail: "\(window.name) until \(time(window.until) ?? "")" + (window.reason.map { ": \($0)" } ?? ""),
            kind: "frozen")
    }

    static func gateText(_ gate: CanaryGate) -> String {
        "waiting for promote at step \(gate.step) (\(gate.weight)% of traffic) since \(time(gate.since) ?? "")"
    }

    static func describe(by: String, at: Date, reason: String?) -> String {
        "by \(by) at \(time(at) ?? "")" + (reason.map { $0.isEmpty ? "" : " — \($0)" } ?? "")
    }

    static func operatorAction(_ action: HistoryJSON.Action, commit: String?) -> OperatorAction {
        OperatorAction(
            what: action.action, servicePath: action.service.map(servicePath), service: action.service, by: action.by,
            when: time(action.at) ?? "", why: action.reason, outcome: action.outcome, atCommit: CommitLink(commit))
    }

    static func event(_ event: FleetEvent) -> Event {
        Event(
            id: "\(event.id)", time: time(event.time) ?? "", type: event.type.rawValue, service: event.service,
            servicePath: event.service.map(servicePath), message: event.message, commit: CommitLink(event.commit),
            by: event.fields["by"].map(\.description))
    }

    /// How a canary step waits: for a person at a gate, else for its pause.
    static func wait(_ step: RolloutPolicy.CanaryStep) -> String {
        step.gate ? "wait for promote" : "wait \(step.pause.manifestDescription)"
    }

    /// The steps of a rollout policy as a person reads them, each marked `done`, `now` or `next` from the share
    /// of the desired instances that are ready: for a canary, its weights; otherwise start, serve, drain.
    static func steps(of policy: RolloutPolicy?, ready: Int, replicas: Int, settled: Bool) -> [Step] {
        guard let policy else { return [] }
        let share = settled ? 100 : percent(ready: ready, of: replicas)
        if policy.strategy == .canary {
            let weights = policy.steps.map(\.weight) + (policy.steps.last?.weight == 100 ? [] : [100])
            var reachedNow = false
            return weights.enumerated().map { index, weight in
                let label =
                    weight == 100
                    ? "all instances on the new spec"
                    : "\(weight)% on the new spec"
                        + (index < policy.steps.count
                            ? ", then \(wait(policy.steps[index]))" : "")
                if share >= weight { return Step(text: label, state: "done") }
                defer { reachedNow = true }
                return Step(text: label, state: reachedNow ? "next" : "now")
            }
        }
        let started = ready > 0 || settled
        return [
            Step(
                text: "start instances of the new spec (\(policy.strategy.rawValue))", state: started ? "done" : "now"),
            Step(text: "\(ready) of \(replicas) ready", state: settled ? "done" : (started ? "now" : "next")),
            Step(text: "drain and destroy the old instances", state: settled ? "done" : "next"),
        ]
    }
}
