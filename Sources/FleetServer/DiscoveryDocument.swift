import FleetController

/// The serving set, served by `GET /api/v1/discovery` with its entity tag in the `ETag` header.
///
/// The same stability rules as `StatusDocument`: fields are added, never renamed or removed.
public struct DiscoveryDocument: Codable, Hashable, Sendable {
    /// The entity tag of this set (also in the `ETag` header); pass it back as `index` to long-poll.
    public var index: String
    /// Per service, the published endpoints sorted by instance id. A service whose instances are all
    /// starting is listed with none.
    public var services: [String: [ServingSet.Endpoint]]
    /// `leader` when the answering replica leads (or runs alone), `standby` when it mirrors the registry while
    /// another leads. A standby's set lacks what only the leader knows (canary weights, instances withheld as
    /// unready, services with no instance yet), so its index can differ from the leader's publication: discovery
    /// agents move to a replica that answers `leader`, whose publication the drains wait for. Absent from
    /// controllers older than this field.
    public var role: Role?

    public enum Role: String, Codable, Hashable, Sendable {
        case leader, standby
    }

    public init(index: String, services: [String: [ServingSet.Endpoint]], role: Role? = nil) {
        self.index = index
        self.services = services
        self.role = role
    }

    public init(_ view: DiscoveryPublisher.View, role: Role? = nil) {
        self.init(index: view.etag, services: view.set.services, role: role)
    }
}
