import FleetModel
import Foundation

/// Phoenix rotation (`maxAge`): instances are replaced once they are older than the service allows, so none runs
/// long enough to collect untracked changes.
///
/// An explicit input to a rollout decision (``RolloutSnapshot/init(records:target:replicas:rollout:expired:)``),
/// never a change to what an instance is: its record keeps its real spec hash.
public enum PhoenixRotation {
    /// The instances due for replacement: once the service is otherwise settled (exactly `replicas` live instances,
    /// all of `target` and serving), the oldest one past `maxAge`. One at a time, so rotation never costs more
    /// capacity than one rolling step.
    public static func expired(
        _ records: [InstanceRecord], target: SpecHash, replicas: Int, maxAge: Duration?, now: Date
    ) -> Set<String> {
        guard let maxAge else { return [] }
        let live = records.filter { $0.state.isLive }
        guard live.count == replicas, live.allSatisfy({ $0.specHash == target && $0.state == .serving }),
            let oldest = live.min(by: { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }),
            now.timeIntervalSince(oldest.createdAt) > TimeInterval(maxAge.milliseconds) / 1000
        else { return [] }
        return [oldest.id]
    }
}
