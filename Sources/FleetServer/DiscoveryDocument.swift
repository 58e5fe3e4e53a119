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

    public init(index: String, services: [String: [ServingSet.Endpoint]]) {
        self.index = index
        self.services = services
    }

    public init(_ view: DiscoveryPublisher.View) {
        self.init(index: view.etag, services: view.set.services)
    }
}
