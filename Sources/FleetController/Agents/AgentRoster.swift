import FleetModel
import FleetRuntime
import Foundation
import Logging
import ServiceLifecycle

/// The discovery agents this controller replica has heard of (`gitfleet agent`, on the load-balancer hosts): the
/// latest ``AgentReport`` of each, when it came, and which required agents a publication still waits on.
///
/// Reports live in memory on every replica, leader and standby, and never in the registry: an agent reports to
/// every replica it knows, so a standby that becomes leader already knows where each agent stands (at the latest
/// within one heartbeat), and the registry's contract stays what it is. What is lost with a restart is one
/// heartbeat's worth of knowledge, during which the required agents count as `unknown` and drains wait.
///
/// The gate (``hold(_:)``): the converger lets an instance leave the serving set, and starts its drain delay, only
/// once every agent of `requiredAgents` has reported, within `agentTimeout`, the entity tag of that publication.
/// A report that lets a waiting publication go wakes the converger (``receive(_:from:)`` answers true) instead of
/// leaving it to a timer. Agents not required are listed and watched but hold nothing.
///
/// A `Service`: between reports its loop notices agents that fall silent, tells each episode once
/// (`agent-failing`, `agent-recovered`), keeps the metrics current and forgets agents that are not required and
/// have been silent for ten timeouts.
public actor AgentRoster: Service {
    public struct Settings: Sendable, Hashable {
        /// The agents whose confirmation drains and switches wait for.
        public var required: [String]
        /// How long an agent may go without a report before it counts as silent.
        public var timeout: Duration

        public init(required: [String] = [], timeout: Duration = .seconds(15)) {
            self.required = required
            self.timeout = timeout
        }
    }

    /// One agent as the API, readiness and metrics show it.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var required: Bool
        public var state: AgentState
        /// Its latest report; nil while it never reported (`unknown`).
        public var report: AgentReport?
        /// When its latest report came, on the controller's clock.
        public var lastSeenAt: Date?
    }

    public nonisolated let settings: Settings
    /// Whose view's entity tag agents are compared with: what this replica serves on `GET /api/v1/discovery` (the
    /// leader's publication, or a standby's mirror of the registry).
    let discovery: DiscoveryPublisher?
    let clock: any FleetClock
    let metrics: FleetMetrics?
    let events: EventLog?
    /// Says when an agent is first heard of; its episodes are told as events (which log them).
    let logger: Logger

    private var reports: [String: (report: AgentReport, at: Date)] = [:]
    /// Agents in a failing or silent episode that was told (`agent-failing`), until it ends (`agent-recovered`).
    private var troubled: Set<String> = []
    /// The publication the converger last asked about and the required agents it waited on then.
    private var awaited: (etag: String, agents: [String])?

    public init(
        settings: Settings, discovery: DiscoveryPublisher? = nil, clock: any FleetClock = SystemClock(),
        metrics: FleetMetrics? = nil, events: EventLog? = nil, logger: Logger = Logger(label: "gitfleet.agents")
    ) {
        self.settings = settings
        self.discovery = discovery
        self.clock = clock
        self.metrics = metrics
        self.events = events
        self.logger = logger
        for family in MetricFamily.agents { metrics?.register(family) }
    }

    /// Keeps `report` as `name`'s latest. Answers whether it lets a publication the converger waits on go (the
    /// caller then asks for a pass at once).
    public func receive(_ report: AgentReport, from name: String) async -> Bool {
        let now = clock.wallTime
        if reports[name] == nil {
            // Once per agent (again after it was forgotten): which load balancers follow this replica.
            logger.info(
                "discovery agent \(name) reports (index \(report.index ?? "none"), version \(report.version ?? "unknown"))",
                metadata: ["agent": "\(name)"])
        }
        reports[name] = (report, now)
        metrics?.increment(.agentReports, labels: ["agent": name])
        var wakes = false
        if let awaited, awaited.agents.contains(name), report.index == awaited.etag {
            self.awaited?.agents.removeAll { $0 == name }
            metrics?.set(.discoveryWaitingAgents, to: Double(self.awaited?.agents.count ?? 0))
            wakes = self.awaited?.agents.isEmpty == true
        }
        await refresh()
        return wakes
    }

    /// The required agents that have not confirmed the publication `etag` (see ``AgentState/confirms``), by name;
    /// empty when it may count as confirmed. Remembered for readiness and `gitfleet_discovery_waiting_agents`.
    public func hold(_ etag: String) -> [Entry] {
        let now = clock.wallTime
        let waiting = settings.required.filter { name in
            !AgentState.confirms(
                reports[name]?.report, receivedAt: reports[name]?.at, now: now, timeout: settings.timeout, etag: etag)
        }
        awaited = (etag, waiting)
        metrics?.set(.discoveryWaitingAgents, to: Double(waiting.count))
        return waiting.map { entry($0, now: now, published: etag) }
    }

    /// The required agents the latest publication waits on, by name.
    public var waitingAgents: [String] { awaited?.agents ?? [] }

    /// Forgets what the converger waited on: this replica stopped leading, so no publication of its waits.
    public func release() {
        awaited = nil
        metrics?.set(.discoveryWaitingAgents, to: 0)
    }

    /// Every required agent and every agent heard of, sorted by name, against the set this replica serves.
    public func entries() async -> [Entry] {
        await refresh()
        let published = await reference()
        let now = clock.wallTime
        return Set(settings.required).union(reports.keys).sorted().map { entry($0, now: now, published: published) }
    }

    /// One line per required agent the latest publication still waits on, for `/readyz`.
    public func readinessProblems() -> [String] {
        guard let awaited else { return [] }
        let now = clock.wallTime
        return awaited.agents.compactMap { name in
            let entry = entry(name, now: now, published: awaited.etag)
            return entry.state == .current ? nil : "agent \(name): \(Self.describe(entry, now: now))"
        }
    }

    /// Why the converger holds a publication for `waiting` (``hold(_:)``): the rollout's `discoveryProblem`.
    public nonisolated func problem(waiting: [Entry]) -> String {
        let now = clock.wallTime
        return "waiting for the discovery agents to confirm the serving set: "
            + waiting.map { "\($0.name) (\(Self.describe($0, now: now)))" }.joined(separator: ", ")
    }

    /// What an operator reads about an agent that is not current, e.g. `silent for 23s (last index "…")`.
    static func describe(_ entry: Entry, now: Date) -> String {
        let index = entry.report?.index.map { "\"\($0.trimmingCharacters(in: ["\""]))\"" } ?? "none"
        switch entry.state {
        case .unknown: return "no report yet"
        case .silent:
            let seconds = entry.lastSeenAt.map { Int(now.timeIntervalSince($0).rounded()) } ?? 0
            return "silent for \(seconds)s (last index \(index))"
        case .failing: return "failing: \(entry.report?.problem ?? "")"
        case .behind: return "behind (index \(index))"
        case .current: return "current"
        }
    }

    public func run() async throws {
        let period = min(settings.timeout / 4, .seconds(1))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.refresh()
                // Paced by the system's clock even under a simulated one: it only notices silence, which the
                // states read from the controller's clock.
                try? await Task.sleep(for: period)
            }
        }
    }

    private func entry(_ name: String, now: Date, published: String) -> Entry {
        let seen = reports[name]
        return Entry(
            name: name, required: settings.required.contains(name),
            state: AgentState.of(
                seen?.report, receivedAt: seen?.at, now: now, timeout: settings.timeout, published: published),
            report: seen?.report, lastSeenAt: seen?.at)
    }

    private func reference() async -> String {
        if let etag = await discovery?.view.etag { return etag }
        return awaited?.etag ?? ""
    }

    /// Forgets long-silent agents that are not required, tells episodes that began or ended and sets the gauges.
    private func refresh() async {
        let now = clock.wallTime
        let forgetAfter = AgentState.seconds(settings.timeout) * 10
        for (name, seen) in reports where !settings.required.contains(name) {
            if now.timeIntervalSince(seen.at) > forgetAfter {
                reports[name] = nil
                troubled.remove(name)
            }
        }
        let published = await reference()
        let entries = Set(settings.required).union(reports.keys).sorted().map {
            entry($0, now: now, published: published)
        }
        var told: [(FleetEvent.Kind, Entry)] = []
        for entry in entries where entry.state != .unknown {
            let isTroubled = entry.state == .failing || entry.state == .silent
            if isTroubled, !troubled.contains(entry.name) {
                troubled.insert(entry.name)
                told.append((.agentFailing, entry))
            } else if !isTroubled, troubled.contains(entry.name) {
                troubled.remove(entry.name)
                told.append((.agentRecovered, entry))
            }
        }
        for (family, state) in [
            (MetricFamily.agentCurrent, AgentState.current), (.agentSilent, .silent), (.agentFailing, .failing),
        ] {
            metrics?.replaceAll(
                family, with: entries.map { (labels: ["agent": $0.name], value: $0.state == state ? 1 : 0) })
        }
        for (kind, entry) in told {
            var fields: [String: FleetEvent.Value] = [
                "agent": .text(entry.name), "state": .text(entry.state.rawValue), "required": .flag(entry.required),
            ]
            if let index = entry.report?.index { fields["index"] = .text(index) }
            if let problem = entry.report?.problem { fields["reason"] = .text(problem) }
            let message =
                kind == .agentFailing
                ? "discovery agent \(entry.name) is \(Self.describe(entry, now: now))"
                    + (entry.required ? "; drains and switches wait for it" : "")
                : "discovery agent \(entry.name) reports again (\(entry.state.rawValue))"
            await events?.emit(kind, message, fields: fields)
        }
    }
}
