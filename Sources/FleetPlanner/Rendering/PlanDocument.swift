import FleetModel
import Foundation

/// The plan as a stable JSON document for CI and tools (`gitfleet plan --json`), described field by
/// field in docs/plan-json.md.
///
/// Stability promises: keys are sorted and every field is always present (absent values are
/// `null`, never left out), so the same plan always gives the same bytes and a tool can rely on the
/// shape. Fields are only ever added within a `formatVersion`; a change that removes or redefines a
/// field bumps it.
public struct PlanDocument: Hashable, Sendable, Codable {
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var fleet: String
    public var revision: String?
    /// Whether carrying out the plan would change anything.
    public var changes: Bool
    public var summary: Summary
    /// One entry per service, in the order the plan carries them out.
    public var services: [Service]

    /// Counts per kind of action, and instance totals.
    public struct Summary: Hashable, Sendable, Codable {
        public var create: Int
        public var replace: Int
        public var scaleUp: Int
        public var scaleDown: Int
        public var remove: Int
        /// Includes the held-back services.
        public var unchanged: Int
        public var heldBack: Int
        public var instancesToCreate: Int
        public var instancesToDestroy: Int

        public init(_ actions: [ServiceAction]) {
            func count(_ kind: ServiceAction.Kind) -> Int { actions.filter { $0.kind == kind }.count }
            create = count(.create)
            replace = count(.replace)
            scaleUp = count(.scaleUp)
            scaleDown = count(.scaleDown)
            remove = count(.remove)
            unchanged = count(.unchanged)
            heldBack = actions.filter(\.isHeldBack).count
            instancesToCreate = actions.reduce(0) { $0 + $1.create }
            instancesToDestroy = actions.reduce(0) { $0 + $1.destroy }
        }
    }

    /// One ``ServiceAction`` with every field, plus what is derived from it for convenience.
    public struct Service: Hashable, Sendable, Codable {
        public var service: String
        public var kind: ServiceAction.Kind
        public var fromImage: String?
        public var toImage: String?
        public var fromSpecHash: SpecHash?
        public var toSpecHash: SpecHash?
        public var replicas: Int
        public var create: Int
        public var destroy: Int
        public var keep: Int
        /// Derived: see ``ServiceAction/isHeldBack``.
        public var heldBack: Bool
        public var reason: String
        /// What changed, field by field, for a replacement whose outgoing spec is known; else null.
        public var changes: [FieldChange]?

        public init(_ action: ServiceAction) {
            service = action.service
            kind = action.kind
            fromImage = action.fromImage
            toImage = action.toImage
            fromSpecHash = action.fromSpecHash
            toSpecHash = action.toSpecHash
            replicas = action.replicas
            create = action.create
            destroy = action.destroy
            keep = action.keep
            heldBack = action.isHeldBack
            reason = action.reason
            changes = action.changes
        }

        public var action: ServiceAction {
            ServiceAction(
                service: service, kind: kind, fromImage: fromImage, toImage: toImage, fromSpecHash: fromSpecHash,
                toSpecHash: toSpecHash, replicas: replicas, create: create, destroy: destroy, keep: keep,
                reason: reason, changes: changes)
        }

        // Written out by hand so that absent values are `null` rather than missing keys.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(service, forKey: .service)
            try container.encode(kind, forKey: .kind)
            try container.encode(fromImage, forKey: .fromImage)
            try container.encode(toImage, forKey: .toImage)
            try container.encode(fromSpecHash, forKey: .fromSpecHash)
            try container.encode(toSpecHash, forKey: .toSpecHash)
            try container.encode(replicas, forKey: .replicas)
            try container.encode(create, forKey: .create)
            try container.encode(destroy, forKey: .destroy)
            try container.encode(keep, forKey: .keep)
            try container.encode(heldBack, forKey: .heldBack)
            try container.encode(reason, forKey: .reason)
            try container.encode(changes, forKey: .changes)
        }
    }

    public init(_ plan: Plan) {
        formatVersion = Self.currentFormatVersion
        fleet = plan.fleet
        revision = plan.revision
        changes = plan.hasChanges
        summary = Summary(plan.actions)
        services = plan.actions.map(Service.init)
    }

    /// The plan this document describes.
    public var plan: Plan {
        Plan(fleet: fleet, revision: revision, actions: services.map(\.action))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(formatVersion, forKey: .formatVersion)
        try container.encode(fleet, forKey: .fleet)
        try container.encode(revision, forKey: .revision)
        try container.encode(changes, forKey: .changes)
        try container.encode(summary, forKey: .summary)
        try container.encode(services, forKey: .services)
    }

    /// Pretty-printed JSON with sorted keys and unescaped slashes, ending in a newline: the bytes of
    /// ``encodedWithJSONEncoder()``, written by ``PlanJSONWriter`` at a fraction of the cost.
    public func jsonData() -> Data {
        var writer = PlanJSONWriter(capacity: 512 + services.count * 640)
        writer.document(self)
        return Data(writer.bytes)
    }

    /// The document through `JSONEncoder`, the reference ``jsonData()`` must equal byte for byte.
    func encodedWithJSONEncoder() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Only strings, integers, booleans and nulls: encoding cannot fail.
        var data = try! encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// Reads a document written by ``jsonData()``.
    public static func decode(_ data: Data) throws -> PlanDocument {
        try JSONDecoder().decode(PlanDocument.self, from: data)
    }
}

extension Plan {
    /// The plan as the stable JSON document of docs/plan-json.md.
    public func jsonData() -> Data { PlanDocument(self).jsonData() }
}
