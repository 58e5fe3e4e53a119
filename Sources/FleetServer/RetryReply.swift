import FleetModel

/// The answer to `POST /api/v1/services/{name}/retry`: which failed specs the controller forgot, so their
/// rollout starts again. Empty `retried` when none had failed (nothing was written).
public struct RetryReply: Codable, Hashable, Sendable {
    public var service: String
    /// Full spec hashes, sorted.
    public var retried: [SpecHash]

    public init(service: String, retried: [SpecHash]) {
        self.service = service
        self.retried = retried
    }
}

/// The `503` body of an operation asked of a standby: the error document plus, when known, the
/// `controllerId` of the replica that leads, which a client can ask instead.
public struct NotLeaderDocument: Codable, Hashable, Sendable {
    public var error: String
    public var message: String
    public var leader: String?

    public init(leader: String?) {
        self.error = "not_leader"
        self.message =
            "this controller stands by; the one that leads acts on the fleet"
            + (leader.map { " (\($0))" } ?? "; no leader is known now")
        self.leader = leader
    }
}
