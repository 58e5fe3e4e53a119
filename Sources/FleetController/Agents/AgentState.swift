import Foundation

/// Where one discovery agent stands against the serving set the controller publishes: what `GET /api/v1/agents`,
/// the status, readiness and metrics say of it, and what the drain gate reads (docs/http-api.md, "Agents").
public enum AgentState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Its outputs show the published set and its reload confirmed it.
    case current
    /// It reported within the timeout, without a problem, but its outputs show another set (an older one, or
    /// the set a standby it follows mirrors).
    case behind
    /// Its latest report carries a problem: its outputs could not be written or its reload command failed.
    case failing
    /// It has not reported within `agentTimeout`.
    case silent
    /// It is required but has never reported to this replica.
    case unknown

    /// The state of an agent from its latest report (nil: none yet) received at `receivedAt`, at `now`, against
    /// the entity tag `published` of the set the controller shows.
    ///
    /// A pure decision so it is tested alone. The order says what an operator must fix first: an agent never
    /// heard of or gone quiet says nothing about its outputs; a failing reload matters more than an old index.
    public static func of(
        _ report: AgentReport?, receivedAt: Date?, now: Date, timeout: Duration, published: String
    ) -> AgentState {
        guard let report, let receivedAt else { return .unknown }
        if isSilent(receivedAt: receivedAt, now: now, timeout: timeout) { return .silent }
        if report.problem != nil { return .failing }
        return report.index == published ? .current : .behind
    }

    /// Whether an agent whose latest report came at `receivedAt` confirms the publication `etag` at `now`:
    /// the gate of drains and switches (``AgentRoster/hold(_:)``). Only the index counts, not a problem: an agent
    /// whose outputs show `etag` confirmed it, even if a later attempt of another set failed.
    public static func confirms(
        _ report: AgentReport?, receivedAt: Date?, now: Date, timeout: Duration, etag: String
    ) -> Bool {
        guard let report, let receivedAt else { return false }
        return !isSilent(receivedAt: receivedAt, now: now, timeout: timeout) && report.index == etag
    }

    static func isSilent(receivedAt: Date, now: Date, timeout: Duration) -> Bool {
        now.timeIntervalSince(receivedAt) > seconds(timeout)
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
