/// The whole desired state at one commit: the fleet's name and its services, sorted by name.
public struct Fleet: Hashable, Sendable {
    public var name: String
    public var services: [ServiceSpec]
    /// The commit the fleet was read from, when it came from Git.
    public var revision: String?

    public init(name: String, services: [ServiceSpec], revision: String? = nil) {
        self.name = name
        self.services = services.sorted { $0.name < $1.name }
        self.revision = revision
    }

    public func service(named name: String) -> ServiceSpec? {
        services.first { $0.name == name }
    }
}
