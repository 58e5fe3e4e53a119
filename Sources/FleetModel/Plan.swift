/// What it takes to move the live fleet to the desired one: one action per service, in the order
/// they are carried out (dependencies first, then by name; removals last).
///
/// A plan is a value computed by a pure function; carrying it out is the executor's business. Its
/// JSON form (see docs/plan-json.md) is a stable interface for CI.
public struct Plan: Hashable, Sendable, Codable {
    public var fleet: String
    /// The commit the desired state was read from.
    public var revision: String?
    public var actions: [ServiceAction]

    public init(fleet: String, revision: String?, actions: [ServiceAction]) {
        self.fleet = fleet
        self.revision = revision
        self.actions = actions
    }

    /// Whether carrying out the plan would change anything.
    public var hasChanges: Bool { actions.contains { $0.kind != .unchanged } }

    /// Instances to create and to destroy, over all services.
    public var totals: (create: Int, destroy: Int) {
        actions.reduce(into: (0, 0)) { totals, action in
            totals.0 += action.create
            totals.1 += action.destroy
        }
    }
}

/// What happens to one service.
public struct ServiceAction: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        /// No instance runs; start `create` of them.
        case create
        /// The spec changed: start `create` new instances and drain `destroy` old ones, create before destroy.
        case replace
        /// Same spec, more replicas.
        case scaleUp
        /// Same spec, fewer replicas.
        case scaleDown
        /// The service is no longer in Git: drain and destroy every instance.
        case remove
        case unchanged
    }

    public var service: String
    public var kind: Kind
    /// The image that runs now (the most common among live instances), if any.
    public var fromImage: String?
    /// The image the desired state asks for; nil for a removal.
    public var toImage: String?
    public var fromSpecHash: SpecHash?
    public var toSpecHash: SpecHash?
    /// Desired replicas (0 for a removal).
    public var replicas: Int
    /// Instances to start.
    public var create: Int
    /// Instances to drain and destroy.
    public var destroy: Int
    /// Live instances that stay as they are.
    public var keep: Int
    /// Why, in words: "image shop/web:1.4.2 → shop/web:1.5.0", "replicas 3 → 5".
    public var reason: String
    /// For a replacement, what differs between the outgoing spec and the desired one, field by field;
    /// nil when the outgoing spec is not known (the live state had only its hash) or for other kinds.
    public var changes: [FieldChange]?

    public init(
        service: String,
        kind: Kind,
        fromImage: String? = nil,
        toImage: String? = nil,
        fromSpecHash: SpecHash? = nil,
        toSpecHash: SpecHash? = nil,
        replicas: Int,
        create: Int = 0,
        destroy: Int = 0,
        keep: Int = 0,
        reason: String,
        changes: [FieldChange]? = nil
    ) {
        self.service = service
        self.kind = kind
        self.fromImage = fromImage
        self.toImage = toImage
        self.fromSpecHash = fromSpecHash
        self.toSpecHash = toSpecHash
        self.replicas = replicas
        self.create = create
        self.destroy = destroy
        self.keep = keep
        self.reason = reason
        self.changes = changes
    }
}
