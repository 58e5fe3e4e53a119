/// Names one record in the registry, for errors and for checking that a commit touches a record once.
public enum RegistryRecordKey: Sendable, Hashable, CustomStringConvertible {
    case instance(String)
    case rolloutState(String)
    /// The one ``FleetControls`` record.
    case fleetControls

    /// The instance id or the service name.
    public var name: String {
        switch self {
        case .instance(let id): return id
        case .rolloutState(let service): return service
        case .fleetControls: return "fleet"
        }
    }

    public var description: String {
        switch self {
        case .instance(let id): return "instance '\(id)'"
        case .rolloutState(let service): return "rollout state of service '\(service)'"
        case .fleetControls: return "fleet controls"
        }
    }
}
