import Foundation

/// The canary gate (a step written `pause: {}`) a rollout waits at, as the API (`gate` in the status and service
/// documents), `gitfleet status` and the dashboard show it.
public struct CanaryGate: Hashable, Sendable, Codable {
    /// The step, counted from 1 as the manifest lists the steps (and as `rollout-step` events count them).
    public var step: Int
    /// The weight the canary holds at while it waits: the percentage of instances (and traffic) on the new spec.
    public var weight: Int
    /// When the rollout reached the gate.
    public var since: Date

    public init(step: Int, weight: Int, since: Date) {
        self.step = step
        self.weight = weight
        self.since = since
    }
}
