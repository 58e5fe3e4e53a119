/// One published instance as discovery outputs show it to clients and load balancers: where to reach it,
/// and what it runs. The etcd registry stores it as JSON at `<prefix>/endpoints/<service>/<instance>`.
public struct DiscoveryEndpoint: Hashable, Sendable, Codable {
    public var service: String
    public var instance: String
    public var address: String
    /// Named ports, e.g. `["http": 8080]`.
    public var ports: [String: Int]
    public var specHash: String
    public var image: String
    /// The commit the instance was created for.
    public var revision: String?

    /// The endpoint of a record; only meaningful for a published one (``InstanceRecord/isPublished``).
    public init(_ record: InstanceRecord) {
        service = record.service
        instance = record.id
        address = record.address ?? ""
        ports = record.ports
        specHash = record.specHash.description
        image = record.image
        revision = record.revision
    }
}
