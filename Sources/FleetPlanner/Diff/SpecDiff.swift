import FleetModel

/// What differs between the spec that runs and the desired one, field by field: the changes a
/// replacement carries out, as `gitfleet plan` shows them (docs/plan-json.md).
///
/// A pure function of two specs, so that it can be tested on its own and used wherever both specs
/// are known (the planner, given the applied specs of the live spec hashes). Fields come in the
/// order a manifest declares them, map keys sorted, so the same two specs always give the same
/// list. Values are written as a manifest would write them (`2s`, `25%`, quoted strings), so a
/// change reads like the edit that caused it.
public struct SpecDiff: Hashable, Sendable {
    /// The top-level changes; empty when the specs are equal in every field.
    public var changes: [FieldChange]

    public init(old: ServiceSpec, new: ServiceSpec) {
        var diff = Builder(path: "")
        diff.value("image", Self.imageName(old.image), Self.imageName(new.image))
        diff.value("digest", old.image.digest, new.image.digest)
        diff.value("replicas", "\(old.replicas)", "\(new.replicas)")
        diff.value("command", Self.list(old.command), Self.list(new.command))
        diff.map("env", old.env, new.env, Self.quoted)
        diff.map("ports", old.ports, new.ports) { "\($0)" }
        diff.object("health", old.health, new.health, Self.health)
        diff.object("readiness", old.readiness, new.readiness, Self.health)
        diff.object("liveness", old.liveness, new.liveness, Self.health)
        diff.object("resources", old.resources, new.resources, Self.resources)
        diff.object("rollout", old.rollout, new.rollout, Self.rollout)
        diff.object("drain", old.drain, new.drain, Self.drain)
        diff.value("maxAge", old.maxAge?.manifestDescription, new.maxAge?.manifestDescription)
        diff.map("labels", old.labels, new.labels, Self.quoted)
        diff.value("dependsOn", Self.list(old.dependsOn), Self.list(new.dependsOn))
        // Where secrets go (variable names, file paths) are plain fields; what they hold is only ever
        // said to have changed.
        diff.map(
            "secretEnv", (old.secretEnv ?? [:]).mapValues(\.name), (new.secretEnv ?? [:]).mapValues(\.name), Self.quoted
        )
        diff.map(
            "secretFiles", Self.secretFiles(old.secretFiles), Self.secretFiles(new.secretFiles), Self.quoted)
        diff.secrets(old.secretReferences, new.secretReferences)
        changes = diff.changes
    }

    public var isEmpty: Bool { changes.isEmpty }

    /// The names of the top-level fields that changed, for a one-line reason: `env, health`.
    public var changedFieldNames: [String] { changes.map(\.name) }

    /// `repository:tag`, without the digest, which is a field of its own.
    static func imageName(_ image: ImageReference) -> String {
        ImageReference(repository: image.repository, tag: image.tag).description
    }

    /// Secret names by file path.
    static func secretFiles(_ files: [SecretFile]?) -> [String: String] {
        Dictionary((files ?? []).map { ($0.path, $0.secret.name) }, uniquingKeysWith: { first, _ in first })
    }

    static func quoted(_ text: String) -> String {
        var escaped = "\""
        for character in text {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default: escaped.append(character)
            }
        }
        return escaped + "\""
    }

    static func list(_ items: [String]) -> String {
        "[" + items.map(quoted).joined(separator: ", ") + "]"
    }

    static func health(_ check: HealthCheck) -> [(String, String?)] {
        let probe =
            switch check.probe {
            case .http(let path, let port, let method, let headers, let status):
                "http \(method.map { "\($0) " } ?? "")\(quoted(path)) on port \(port)"
                    + (headers.map { headers in
                        " with "
                            + headers.sorted { $0.key < $1.key }.map { "\($0.key): \(quoted($0.value))" }
                            .joined(separator: ", ")
                    } ?? "")
                    + (status.map {
                        " expecting " + $0.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", ")
                    }
                        ?? "")
            case .grpc(let port, let service):
                "grpc on port \(port)" + (service.map { " for service \(quoted($0))" } ?? "")
            case .tcp(let port): "tcp on port \(port)"
            case .exec(let command): "exec \(list(command))"
            }
        return [
            ("probe", probe),
            ("interval", check.interval.manifestDescription),
            ("timeout", check.timeout.manifestDescription),
            ("healthyThreshold", "\(check.healthyThreshold)"),
            ("unhealthyThreshold", "\(check.unhealthyThreshold)"),
            ("startTimeout", check.startTimeout.manifestDescription),
        ]
    }

    static func resources(_ resources: Resources) -> [(String, String?)] {
        [
            ("cpu", resources.cpu.map { "\($0)" }),
            ("memory", resources.memory.map { "\($0)" }),
            ("user", resources.user.map(quoted)),
            ("readOnlyRootFilesystem", "\(resources.readOnlyRootFilesystem)"),
        ]
    }

    static func rollout(_ rollout: RolloutPolicy) -> [(String, String?)] {
        [
            ("strategy", rollout.strategy.rawValue),
            ("maxSurge", rollout.maxSurge.description),
            ("maxUnavailable", rollout.maxUnavailable.description),
            ("minReady", rollout.minReady.manifestDescription),
            ("progressDeadline", rollout.progressDeadline.manifestDescription),
            ("autoRollback", "\(rollout.autoRollback)"),
            ("scaleDownDelay", rollout.scaleDownDelay.manifestDescription),
            (
                "steps",
                "["
                    + rollout.steps.map {
                        "\($0.weight)% " + ($0.gate ? "until promoted" : "for \($0.pause.manifestDescription)")
                    }.joined(separator: ", ") + "]"
            ),
        ]
    }

    static func drain(_ drain: DrainPolicy) -> [(String, String?)] {
        [("delay", drain.delay.manifestDescription), ("gracePeriod", drain.gracePeriod.manifestDescription)]
    }

    /// Collects the changes of one object, each under `path`.
    struct Builder {
        let path: String
        var changes: [FieldChange] = []

        func childPath(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

        mutating func value(_ name: String, _ old: String?, _ new: String?) {
            guard old != new else { return }
            changes.append(FieldChange(name: name, path: childPath(name), old: old, new: new))
        }

        /// A map compared key by key: each key added, removed or changed is a nested change.
        mutating func map<Value: Equatable>(
            _ name: String, _ old: [String: Value], _ new: [String: Value], _ describe: (Value) -> String
        ) {
            guard old != new else { return }
            var nested = Builder(path: childPath(name))
            for key in Set(old.keys).union(new.keys).sorted() where old[key] != new[key] {
                nested.value(key, old[key].map(describe), new[key].map(describe))
            }
            changes.append(FieldChange(name: name, path: childPath(name), fields: nested.changes))
        }

        /// An optional object compared field by field; one that comes or goes lists its fields as added or removed.
        mutating func object<Value: Equatable>(
            _ name: String, _ old: Value?, _ new: Value?, _ fields: (Value) -> [(String, String?)]
        ) {
            guard old != new else { return }
            let before = old.map(fields) ?? []
            let after = new.map(fields) ?? []
            var nested = Builder(path: childPath(name))
            for field in Set(before.map(\.0)).union(after.map(\.0)).sorted(by: Self.order(before + after)) {
                nested.value(
                    field, before.first { $0.0 == field }?.1 ?? nil, after.first { $0.0 == field }?.1 ?? nil)
            }
            // Equal by these fields yet unequal as values: nothing a person could read differs.
            guard !nested.changes.isEmpty else { return }
            let kind: FieldChange.Kind = old == nil ? .added : (new == nil ? .removed : .changed)
            changes.append(FieldChange(name: name, path: childPath(name), kind: kind, fields: nested.changes))
        }

        /// Each secret, by name, that was added, removed, or whose value changed (a new digest, or without
        /// the identity a new sealed file): `secret db-password changed`, never a value.
        mutating func secrets(_ old: [SecretReference], _ new: [SecretReference]) {
            let before = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            let after = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            var nested = Builder(path: childPath("secrets"))
            for name in Set(before.keys).union(after.keys).sorted() {
                let kind: FieldChange.Kind
                switch (before[name], after[name]) {
                case (nil, _): kind = .added
                case (_, nil): kind = .removed
                case (let was?, let now?):
                    let changed =
                        was.digest != nil && now.digest != nil ? was.digest != now.digest : was.object != now.object
                    guard changed else { continue }
                    kind = .changed
                }
                nested.changes.append(FieldChange.secret(name: name, path: nested.childPath(name), kind: kind))
            }
            guard !nested.changes.isEmpty else { return }
            changes.append(FieldChange(name: "secrets", path: childPath("secrets"), fields: nested.changes))
        }

        /// Orders field names as `declared` first lists them.
        private static func order(_ declared: [(String, String?)]) -> (String, String) -> Bool {
            let names = declared.map(\.0)
            return { names.firstIndex(of: $0)! < names.firstIndex(of: $1)! }
        }
    }
}
