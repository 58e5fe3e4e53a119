import Foundation

extension StatusAnnotation {
    /// The note text: keys in a fixed order, optional keys left out when empty, one line per service.
    ///
    /// Deterministic, so rewriting an unchanged status produces the same note (and the same blob id).
    public func yaml() -> String {
        var lines = [
            "gitfleet: \(Self.formatVersion)",
            "result: \(result.rawValue)",
            "fleet: \(YAMLScalarWriter.inline(fleet))",
            "controller: \(YAMLScalarWriter.inline(controller))",
            "at: \(Self.timestamp(at))",
            "revision: \(YAMLScalarWriter.inline(revision))",
        ]
        if let started { lines.append("started: \(Self.timestamp(started))") }
        if let finished { lines.append("finished: \(Self.timestamp(finished))") }
        if let reason {
            lines.append("reason:" + YAMLScalarWriter.block(reason, indent: "  "))
        }
        if !errors.isEmpty {
            lines.append("errors:")
            lines += errors.map { "  - \(YAMLScalarWriter.inline($0))" }
        }
        if let signature {
            var fields = [("method", YAMLScalarWriter.inline(signature.method))]
            if let signer = signature.signer { fields.append(("signer", YAMLScalarWriter.inline(signer))) }
            lines.append("signature: \(Self.flowMapping(fields))")
        }
        if let rewrite {
            let fields = [
                ("from", YAMLScalarWriter.inline(rewrite.from)), ("note", YAMLScalarWriter.inline(rewrite.note)),
            ]
            lines.append("rewrite: \(Self.flowMapping(fields))")
        }
        if !services.isEmpty {
            lines.append("services:")
            for name in services.keys.sorted() {
                lines.append("  \(YAMLScalarWriter.inline(name)): \(Self.flowMapping(services[name]!.fields))")
            }
        }
        if !actions.isEmpty {
            lines.append("actions:")
            lines += actions.map { "  - \(Self.flowMapping($0.fields))" }
        }
        if let previous {
            let fields = [
                ("commit", YAMLScalarWriter.inline(previous.commit)),
                ("digest", YAMLScalarWriter.inline(previous.digest)),
            ]
            lines.append("previous: \(Self.flowMapping(fields))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `2026-11-22T13:02:11Z`: UTC, whole seconds.
    static func timestamp(_ date: Date) -> String {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)).formatted(.iso8601)
    }

    /// `{key: value, ...}` from keys and values already written as scalars.
    private static func flowMapping(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
    }
}

extension ServiceStatus {
    /// The fields, written as scalars, in their fixed order; `result`, `created` and `destroyed` always appear.
    fileprivate var fields: [(String, String)] {
        var fields = [("result", result.rawValue)]
        if let from { fields.append(("from", YAMLScalarWriter.inline(from))) }
        if let to { fields.append(("to", YAMLScalarWriter.inline(to))) }
        fields.append(("created", String(created)))
        fields.append(("destroyed", String(destroyed)))
        if let took { fields.append(("took", YAMLScalarWriter.inline(took.manifestDescription))) }
        if let reason { fields.append(("reason", YAMLScalarWriter.inline(reason))) }
        return fields
    }
}

extension OperatorAction {
    /// The fields, written as scalars, in their fixed order; `action`, `by` and `at` always appear.
    fileprivate var fields: [(String, String)] {
        var fields = [("action", YAMLScalarWriter.inline(action))]
        if let service { fields.append(("service", YAMLScalarWriter.inline(service))) }
        fields.append(("by", YAMLScalarWriter.inline(by)))
        fields.append(("at", StatusAnnotation.timestamp(at)))
        if let reason { fields.append(("reason", YAMLScalarWriter.inline(reason))) }
        if let outcome { fields.append(("outcome", YAMLScalarWriter.inline(outcome))) }
        return fields
    }
}
