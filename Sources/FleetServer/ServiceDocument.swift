import FleetModel
import FleetRegistry
import Foundation

/// One service in detail, served by `GET /api/v1/services/{name}`.
///
/// The same stability rules as `StatusDocument`: fields are added, never renamed or removed.
public struct ServiceDocument: Codable, Hashable, Sendable {
    public var name: String
    /// As in `ServiceSummary.result`.
    public var result: String
    public var replicas: Int
    public var ready: Int
    /// The desired image, pinned to a digest.
    public var image: String?
    /// The spec hash of the desired spec; instances with another hash are old and will be replaced.
    public var specHash: String?
    /// The commit the desired spec was read from.
    public var revision: String?
    /// Why the service is not converged, when it is not.
    public var reason: String?
    /// The canary gate its rollout waits at (`result` is `paused`); omitted otherwise.
    public var gate: CanaryGate?
    /// Every instance in the registry for this service, live or kept for evidence, sorted by creation time.
    public var instances: [InstanceDocument]
    /// Who suspended the service, when and why, while it is suspended; omitted otherwise.
    public var suspended: Attribution?
    /// The spec a `rollback SERVICE` holds the service at, while it does; omitted otherwise.
    public var pinned: PinSummary?

    public init(
        name: String, result: String, replicas: Int, ready: Int, image: String? = nil, specHash: String? = nil,
        revision: String? = nil, reason: String? = nil, instances: [InstanceDocument] = []
    ) {
        self.name = name
        self.result = result
        self.replicas = replicas
        self.ready = ready
        self.image = image
        self.specHash = specHash
        self.revision = revision
        self.reason = reason
        self.instances = instances
    }
}

/// One instance in `ServiceDocument.instances`: the parts of its registry record an operator needs.
public struct InstanceDocument: Codable, Hashable, Sendable {
    public var id: String
    /// An `InstanceState` raw value: `pending`, `starting`, `ready`, `serving`, `draining`, `stopped`, `failed`,
    /// `quarantined`.
    public var state: String
    public var specHash: String
    public var image: String
    public var revision: String?
    public var address: String?
    public var ports: [String: Int]
    public var createdAt: Date
    public var updatedAt: Date
    public var reason: String?

    public init(
        id: String, state: String, specHash: String, image: String, revision: String? = nil, address: String? = nil,
        ports: [String: Int] = [:], createdAt: Date, updatedAt: Date, reason: String? = nil
    ) {
        self.id = id
        self.state = state
        self.specHash = specHash
        self.image = image
        self.revision = revision
        self.address = address
        self.ports = ports
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.reason = reason
    }

    /// The document for a registry record.
    public init(_ record: InstanceRecord) {
        self.init(
            id: record.id, state: record.state.rawValue, specHash: record.specHash.rawValue, image: record.image,
            revision: record.revision, address: record.address, ports: record.ports, createdAt: record.createdAt,
            updatedAt: record.updatedAt, reason: record.reason
        )
    }
}
