import FleetModel

/// What the planner is told besides the desired and observed state: memory of past failures and
/// the operator's requests that override it.
///
/// A struct with defaults for every field, so that new knobs can be added without breaking callers.
public struct PlanPolicy: Hashable, Sendable {
    /// Spec hashes that failed to roll out, per service. A desired spec whose hash is listed here is
    /// not tried again: the service is planned as `unchanged` until its spec changes (a new hash) or
    /// a retry is asked for. Failing the same way in a loop helps nobody and burns the evidence.
    public var failedSpecHashes: [String: Set<SpecHash>]
    /// Services whose failed spec should be tried again anyway, as `gitfleet retry <service>` asks.
    public var retrying: Set<String>

    public init(failedSpecHashes: [String: Set<SpecHash>] = [:], retrying: Set<String> = []) {
        self.failedSpecHashes = failedSpecHashes
        self.retrying = retrying
    }

    /// Whether `hash` of `service` failed before and must not be retried now.
    public func holdsBack(service: String, hash: SpecHash) -> Bool {
        guard !retrying.contains(service) else { return false }
        return failedSpecHashes[service]?.contains(hash) ?? false
    }
}
