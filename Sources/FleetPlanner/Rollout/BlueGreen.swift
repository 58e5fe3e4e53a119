import FleetModel

/// The blue-green strategy: bring up the whole new set beside the old one, health-gated (new
/// instances wait `ready`, unpublished), then switch the serving set in one step. The old set keeps
/// running `ready` for `scaleDownDelay`, so switching back (the old spec becoming the target again) is
/// the same one step; after the delay it is drained and destroyed.
///
/// The rules, applied to one snapshot:
/// 1. Old instances that are neither serving nor ready never will be: retire them.
/// 2. Target instances beyond `replicas` are surplus: retire them, unhealthy first, then the newest.
/// 3. Start target instances up to `replicas`, with no surge bound: the whole set comes up.
/// 4. Once `replicas` target instances are healthy, publish the ready ones and unpublish the old
///    serving ones, together.
/// 5. Retire old ready instances `scaleDownDelay` after they stopped serving.
public enum BlueGreen {
    public static func decide(_ snapshot: RolloutSnapshot, scaleDownDelay: Double, now: Double) -> RolloutDecision {
        var decision = RolloutDecision()
        let currentActive = snapshot.current.filter { $0.state != .draining }
        let surplus = currentActive.count - snapshot.replicas
        var kept = currentActive
        if surplus > 0 {
            let byPreference = currentActive.sorted { lhs, rhs in
                let lhsHealthy = lhs.state == .serving || lhs.state == .ready
                let rhsHealthy = rhs.state == .serving || rhs.state == .ready
                if lhsHealthy != rhsHealthy { return !lhsHealthy }
                if lhs.createdAt != rhs.createdAt { return lhs.createdAt > rhs.createdAt }
                return lhs.id > rhs.id
            }
            let retired = Set(byPreference.prefix(surplus).map(\.id))
            decision.retire += byPreference.prefix(surplus).map(\.id)
            kept = currentActive.filter { !retired.contains($0.id) }
        }
        decision.create = max(0, snapshot.replicas - kept.count)

        let oldActive = snapshot.old.filter { $0.state != .draining }
        let healthy = kept.filter { $0.state == .serving || $0.state == .ready }
        if healthy.count >= snapshot.replicas {
            decision.publish = healthy.filter { $0.state == .ready }.map(\.id)
            decision.unpublish = oldActive.filter { $0.state == .serving }.map(\.id)
        }
        for instance in oldActive {
            switch instance.state {
            case .serving:
                continue
            case .ready:
                let due = instance.updatedAt + scaleDownDelay
                if now >= due {
                    decision.retire.append(instance.id)
                } else {
                    decision.notBefore = min(decision.notBefore ?? due, due)
                }
            default:
                decision.retire.append(instance.id)
            }
        }
        return decision
    }
}
