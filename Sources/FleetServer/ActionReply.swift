import FleetController
import FleetModel
import FleetRegistry
import Foundation

/// The answer to an operator's action (`POST /api/v1/services/{name}/suspend`, `…/resume`, `…/rollback`): who did
/// what to which service, when and why, and a sentence for a person; a rollback adds the spec it went back to.
/// The fields every action answers with are the same, so a client (the dashboard) reads any action's answer alike.
public struct ActionReply: Codable, Hashable, Sendable {
    /// The service acted on; `null` for the whole fleet.
    public var service: String?
    /// `suspend`, `resume`, `rollback`.
    public var action: String
    /// The API token's name, or `anonymous`.
    public var by: String
    /// RFC 3339, UTC.
    public var at: Date
    public var reason: String?
    public var message: String
    /// A rollback's spec (full hash), its image and the commit it came from, when known.
    public var specHash: SpecHash?
    public var image: String?
    public var revision: String?

    public init(service: String?, action: String, attribution: Attribution, message: String) {
        self.service = service
        self.action = action
        self.by = attribution.by
        self.at = attribution.at
        self.reason = attribution.reason
        self.message = message
    }

    private enum CodingKeys: String, CodingKey {
        case service, action, by, at, reason, message, specHash, image, revision
    }

    // `service` and `reason` are written as null rather than left out: the contract names them always.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(service, forKey: .service)
        try container.encode(action, forKey: .action)
        try container.encode(by, forKey: .by)
        try container.encode(at, forKey: .at)
        try container.encode(reason, forKey: .reason)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(specHash, forKey: .specHash)
        try container.encodeIfPresent(image, forKey: .image)
        try container.encodeIfPresent(revision, forKey: .revision)
    }
}

// The optional body of an action, `{"reason": "free text"}`, is `ActionRequest` (GateReply.swift), shared by
// every action route.
