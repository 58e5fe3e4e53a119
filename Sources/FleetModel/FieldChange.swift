/// One difference between two specs, in the manner of `nomad job plan`: a field that was added,
/// removed or changed, or an object (env, health, rollout) whose nested fields changed.
///
/// A leaf carries the old and new value as people read them (`"info"`, `2s`, `512 MiB`); an object
/// carries its nested changes in `fields` and no values. A secret carries neither: the diff only
/// says that it changed, so its value can never reach a plan, a log or a CI comment, whatever
/// renders it.
public struct FieldChange: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case added
        case removed
        case changed

        /// `+`, `-` or `~`, as the text plan shows it.
        public var symbol: String {
            switch self {
            case .added: return "+"
            case .removed: return "-"
            case .changed: return "~"
            }
        }
    }

    /// The field's name, or the key for a map entry (an env name, a port name).
    public var name: String
    /// Dotted path from the spec's root: `env.LOG_LEVEL`, `health.interval`, `rollout.maxSurge`.
    public var path: String
    public var kind: Kind
    /// The value before; nil when added, for an object, and always for a secret.
    public var old: String?
    /// The value after; nil when removed, for an object, and always for a secret.
    public var new: String?
    /// Whether the value is a secret's: then `old` and `new` are nil and only the change is told.
    public var secret: Bool
    /// The nested changes of an object, in the order the spec declares its fields (map keys sorted).
    public var fields: [FieldChange]

    /// A leaf: a value that was added (`old` nil), removed (`new` nil) or changed.
    public init(name: String, path: String, old: String?, new: String?) {
        self.name = name
        self.path = path
        self.kind = old == nil ? .added : (new == nil ? .removed : .changed)
        self.old = old
        self.new = new
        self.secret = false
        self.fields = []
    }

    /// A secret that was added, removed or changed; its values are never taken, so never shown.
    public static func secret(name: String, path: String, kind: Kind) -> FieldChange {
        var change = FieldChange(name: name, path: path, old: nil, new: nil)
        change.kind = kind
        change.secret = true
        return change
    }

    /// An object whose nested fields changed; `kind` says whether the whole object came or went.
    public init(name: String, path: String, kind: Kind = .changed, fields: [FieldChange]) {
        self.name = name
        self.path = path
        self.kind = kind
        self.old = nil
        self.new = nil
        self.secret = false
        self.fields = fields
    }

    /// Every leaf below (or this change itself when it is a leaf), depth first.
    public var leaves: [FieldChange] {
        fields.isEmpty ? [self] : fields.flatMap(\.leaves)
    }

    // Written out by hand so that absent values are `null` rather than missing keys (docs/plan-json.md).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(path, forKey: .path)
        try container.encode(kind, forKey: .kind)
        try container.encode(old, forKey: .old)
        try container.encode(new, forKey: .new)
        try container.encode(secret, forKey: .secret)
        try container.encode(fields, forKey: .fields)
    }
}
