import FleetModel
import FleetRegistry
import Foundation

/// A window open now, and until when.
public struct OpenFreezeWindow: Sendable, Hashable {
    public var window: FreezeWindow
    public var until: Date

    public init(window: FreezeWindow, until: Date) {
        self.window = window
        self.until = until
    }
}

/// The next window to open: when it opens and when it closes again.
public struct UpcomingFreezeWindow: Sendable, Hashable {
    public var window: FreezeWindow
    public var opens: Date
    public var closes: Date
}

/// Why a service's rollout waits: the window that holds it (the one that closes last when several do) and
/// until when, or an operator's suspension, which holds until someone resumes the service.
public struct FreezeHold: Sendable, Hashable, CustomStringConvertible {
    public var window: String
    public var until: Date
    /// Set when an operator's `suspend` holds the service (``window`` is then `suspended` and ``until`` the
    /// distant future): the same hold as a window's, told in the operator's words.
    public var suspension: Attribution?

    public init(window: String, until: Date) {
        self.window = window
        self.until = until
    }

    /// The hold of a suspended service.
    public init(suspension: Attribution) {
        self.init(window: "suspended", until: .distantFuture)
        self.suspension = suspension
    }

    /// `waiting: freeze window weekend (no deploys) until 2026-11-30T05:00:00Z`, or `waiting: suspended by alice
    /// (incident 42)`: the words the note, the status and the deployment's state use.
    public var description: String {
        if let suspension {
            return "waiting: suspended by \(suspension.by)" + (suspension.reason.map { " (\($0))" } ?? "")
        }
        return "waiting: freeze window \(window) until \(FreezeWindow.timestamp(until))"
    }
}

extension Array where Element == FreezeWindow {
    /// The windows open at `date`.
    public func open(at date: Date) -> [OpenFreezeWindow] {
        compactMap { window in window.openUntil(at: date).map { OpenFreezeWindow(window: window, until: $0) } }
    }

    /// The next window to open strictly after `date`.
    public func nextOpening(after date: Date) -> UpcomingFreezeWindow? {
        compactMap { window in
            window.nextOpening(after: date).map { opens in
                UpcomingFreezeWindow(window: window, opens: opens, closes: window.openUntil(at: opens) ?? opens)
            }
        }.min { ($0.opens, $0.window.name) < ($1.opens, $1.window.name) }
    }
}

/// The reconcile decision inside freeze windows, with no I/O: which services of the desired fleet may roll
/// out now, and what the converger is given instead for those that may not.
///
/// A service covered by an open window whose desired spec differs from the spec it is at (its rollout
/// state's target) keeps that spec: the converger goes on healing it there (a dead instance is replaced),
/// and a rollout already in flight to that target runs to its end, because stopping it halfway would leave
/// two versions serving for the length of the window. A service new in the commit is not created, and one
/// the commit removes is kept, until the window closes. Services no open window covers roll out as usual:
/// a commit that touches a frozen and an unfrozen service rolls the unfrozen one now.
public struct FreezeDecision: Sendable, Hashable {
    /// What the converger is given: the desired fleet with held services at their current specs.
    public var fleet: Fleet
    /// The services that wait, and why.
    public var holds: [String: FreezeHold]
    /// Desired services left out of ``fleet`` altogether (new in the commit), for ``report(_:)``.
    private var withheld: [ServiceSpec] = []

    /// `fleetSuspension` holds every service an operator has not suspended on its own (``FleetControls``).
    public init(
        desired: Fleet, rollouts: [RolloutState], open: [OpenFreezeWindow], fleetSuspension: Attribution? = nil
    ) {
        var holds: [String: FreezeHold] = [:]
        let current = Dictionary(rollouts.map { ($0.service, $0) }, uniquingKeysWith: { first, _ in first })
        func hold(_ service: String) -> FreezeHold? {
            if let suspension = current[service]?.suspended ?? fleetSuspension {
                return FreezeHold(suspension: suspension)
            }
            let covering = open.filter { $0.window.covers(service) }
            guard let last = covering.max(by: { $0.until < $1.until }) else { return nil }
            return FreezeHold(window: last.window.label, until: last.until)
        }
        var services: [ServiceSpec] = []
        for var spec in desired.services {
            // A pin is an operator's explicit rollout: a suspension or a window does not hold it back.
            let pinned = current[spec.name]?.pin.flatMap { $0.from == SpecHash(spec) ? $0.spec : nil }
            if let pinned { spec = pinned }
            guard let state = current[spec.name] else {
                if let why = hold(spec.name) {
                    holds[spec.name] = why
                    withheld.append(spec)
                } else {
                    services.append(spec)
                }
                continue
            }
            guard state.targetSpecHash != SpecHash(spec), pinned == nil, let why = hold(spec.name),
                let target = state.targetSpec
            else {
                services.append(spec)
                continue
            }
            holds[spec.name] = why
            services.append(target)
        }
        let desiredNames = Set(desired.services.map(\.name))
        for state in rollouts where !desiredNames.contains(state.service) {
            guard let why = hold(state.service), let target = state.targetSpec else { continue }
            holds[state.service] = why
            services.append(target)
        }
        fleet = Fleet(name: desired.name, services: services, revision: desired.revision)
        self.holds = holds
    }

    /// The converger's report on ``fleet`` with each held service in the `held` phase, and the services
    /// withheld listed too, so that the deployment stays open until they roll.
    public func report(_ report: [ServiceConvergence]) -> [ServiceConvergence] {
        guard !holds.isEmpty else { return report }
        var held = report.map { service in
            var service = service
            if let hold = holds[service.service] { service.phase = .held(hold) }
            return service
        }
        for spec in withheld {
            guard let hold = holds[spec.name], !report.contains(where: { $0.service == spec.name }) else { continue }
            var service = ServiceConvergence(service: spec.name, phase: .held(hold), replicas: spec.replicas)
            service.toImage = spec.image.description
            held.append(service)
        }
        return held
    }
}

extension RolloutState {
    /// The spec the service is being moved to (or is at), pinned, when the state remembers it.
    var targetSpec: ServiceSpec? {
        if lastGoodSpecHash == targetSpecHash, let lastGoodSpec { return lastGoodSpec }
        return triedSpecs.first { SpecHash($0) == targetSpecHash }
    }
}
