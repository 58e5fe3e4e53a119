import FleetModel
import Foundation

/// The canary strategy: move to the new spec in steps of `{weight, pause}`.
///
/// At a step of weight `w`, `ceil(replicas × w / 100)` instances run the new spec and the rest the old
/// one (so capacity stays at `replicas`), replaced within the rolling strategy's bounds; discovery's
/// upstream weights then give the new instances `w` percent of the traffic whatever the counts. A step
/// is reached once those counts serve; after its pause the next step begins. A canary instance that
/// fails health fails the rollout, which rolls back (see the converger).
public enum Canary {
    /// The steps as they run: the manifest's, ending at 100 % (added when the last step is lower).
    public static func steps(_ steps: [RolloutPolicy.CanaryStep]) -> [RolloutPolicy.CanaryStep] {
        guard let last = steps.last, last.weight >= 100 else {
            return steps + [RolloutPolicy.CanaryStep(weight: 100, pause: .zero)]
        }
        return steps
    }

    /// The gate a canary waits at, at `step` (counted from 0) of the `steps` it runs, since `since`: a step past
    /// the end (steps changed under a waiting rollout) is read as the last.
    public static func gate(at step: Int, of steps: [RolloutPolicy.CanaryStep], since: Date) -> CanaryGate {
        let steps = Self.steps(steps)
        let index = min(max(step, 0), steps.count - 1)
        return CanaryGate(step: index + 1, weight: steps[index].weight, since: since)
    }

    /// Instances of the new spec at `weight` percent: at least one, at most `replicas`.
    public static func instances(weight: Int, replicas: Int) -> Int {
        guard replicas > 0 else { return 0 }
        return max(1, min(replicas, (replicas * weight + 99) / 100))
    }

    /// The rolling decision with the new spec capped at the step's instance count.
    public static func decide(_ snapshot: RolloutSnapshot, weight: Int) -> RolloutDecision {
        RollingUpdate.decide(snapshot, currentLimit: instances(weight: weight, replicas: snapshot.replicas))
    }

    /// Whether the step of `weight` is reached: its new instances all serve and the old ones are down
    /// to the rest.
    public static func reached(_ snapshot: RolloutSnapshot, weight: Int) -> Bool {
        let wanted = instances(weight: weight, replicas: snapshot.replicas)
        let serving = snapshot.current.filter { $0.state == .serving }.count
        let old = snapshot.old.filter { $0.state != .draining }.count
        return serving >= wanted && old <= snapshot.replicas - wanted
    }
}
