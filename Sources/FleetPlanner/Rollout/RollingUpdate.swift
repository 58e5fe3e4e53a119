import FleetModel

/// The rolling strategy: replace instances a few at a time, never running more than
/// `replicas + maxSurge` instances (draining ones included) and never serving fewer than
/// `replicas - maxUnavailable` while old instances remain.
///
/// The rules, applied to one snapshot:
/// 1. Old instances that are not serving contribute nothing: retire them at once.
/// 2. Current instances beyond `replicas` are surplus: retire them, non-serving first, then the newest.
/// 3. Start new instances up to `replicas`, as far as the surge ceiling allows.
/// 4. Retire serving old instances as far as serving capacity stays at or above the minimum.
///
/// `currentLimit` caps the instances of the target spec below `replicas` (a canary step); old ones are
/// then kept so that together they still make `replicas`.
public enum RollingUpdate {
    public static func decide(_ snapshot: RolloutSnapshot, currentLimit: Int? = nil) -> RolloutDecision {
        let wantedCurrent = min(snapshot.replicas, currentLimit ?? snapshot.replicas)
        var retire: [String] = []
        var retiredServing = 0

        let oldActive = snapshot.old.filter { $0.state != .draining }
        for instance in oldActive where instance.state != .serving {
            retire.append(instance.id)
        }

        let currentActive = snapshot.current.filter { $0.state != .draining }
        let surplus = currentActive.count - wantedCurrent
        if surplus > 0 {
            let byPreference = currentActive.sorted { lhs, rhs in
                let lhsServing = lhs.state == .serving
                let rhsServing = rhs.state == .serving
                if lhsServing != rhsServing { return !lhsServing }
                if lhs.createdAt != rhs.createdAt { return lhs.createdAt > rhs.createdAt }
                return lhs.id > rhs.id
            }
            for instance in byPreference.prefix(surplus) {
                retire.append(instance.id)
                if instance.state == .serving { retiredServing += 1 }
            }
        }

        // Retired instances still hold resources until they have drained, so they stay in the total.
        let ceiling = snapshot.replicas + snapshot.maxSurge
        let wanted = wantedCurrent - min(currentActive.count, wantedCurrent)
        let create = max(0, min(wanted, ceiling - snapshot.total))

        let minimumServing = snapshot.replicas - snapshot.maxUnavailable
        let oldServing = oldActive.filter { $0.state == .serving }.sorted {
            ($0.createdAt, $0.id) < ($1.createdAt, $1.id)
        }
        var retirable = min(
            snapshot.serving - retiredServing - minimumServing, oldServing.count - (snapshot.replicas - wantedCurrent))
        for instance in oldServing where retirable > 0 {
            retire.append(instance.id)
            retirable -= 1
        }
        return RolloutDecision(create: create, retire: retire)
    }
}
