import FleetModel

/// One change to a service's rollout state, as ``Registry/rolloutStateChanges()`` reports it.
public struct RolloutStateChange: Sendable, Hashable {
    public var service: String
    /// The state as stored after the change, with its version; nil when the state was deleted.
    public var state: Versioned<RolloutState>?

    public init(service: String, state: Versioned<RolloutState>?) {
        self.service = service
        self.state = state
    }
}
