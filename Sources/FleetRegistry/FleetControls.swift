import FleetModel
import Foundation

/// An operator's controls of the whole fleet, one record in the registry: a suspension of every service, those
/// Git adds later included (`gitfleet suspend` without a service).
///
/// Kept apart from the per-service ``RolloutState``s because it must also hold services that have none yet.
public struct FleetControls: Codable, Hashable, Sendable {
    /// Set while the whole fleet is suspended: no new spec rolls out to any service; healing goes on.
    public var suspended: Attribution?

    public init(suspended: Attribution? = nil) {
        self.suspended = suspended
    }
}
