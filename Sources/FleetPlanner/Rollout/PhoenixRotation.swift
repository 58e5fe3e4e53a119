import FleetModel
import Foundation

/// Phoenix rotation (`maxAge`): instances are replaced once they are older than the service allows, so none runs
/// long enough to collect untracked changes.
///
/// An explicit input to a rollout decision (``RolloutSnapshot/init(records:target:replicas:rollout:expired:)``),
/// never a change to what an instance is: its record keeps its real spec hash.
public enum PhoenixRotation {
    /// The instances due for replacement: the oldest live instance, once it is past `maxAge`, while every live
    /// instance runs `target` (no other rollout is under way) and at least `replicas` of them serve. It stays due
    /// while its replacement starts and while it drains, so the strategy carries the replacement through; the
    /// next one is due only once it is gone. One at a time, so rotation never costs more than one rolling step.
    public static func expired(
        _ records: [InstanceRecord], target: SpecHash, replicas: Int, maxAge: Duration?, now: Date
    ) -> Set<String> {
        guard let maxAge else { return [] }
        let live = records.filter { $0.state.isLive }
        guard live.allSatisfy({ $0.specHash == target }),
            live.filter({ $0.state == .serving }).count >= replicas,
            let oldest = live.min(by: { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }),
            now.timeIntervalSince(oldest.createdAt) > TimeInterval(maxAge.milliseconds) / 1000
        else { return [] }
        return [oldest.id]
    }
}
