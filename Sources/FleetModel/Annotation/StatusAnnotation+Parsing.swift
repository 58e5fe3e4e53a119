import Foundation

extension StatusAnnotation {
    /// Reads a note written by ``yaml()`` (or by hand, or by a newer controller: unknown keys are ignored).
    ///
    /// Throws ``StatusAnnotationError`` with `.notAnnotation` for text that is not a gitfleet annotation (some
    /// other tool's note), `.unsupportedVersion` for a `gitfleet:` version other than v1, and `.malformed`,
    /// naming the line, for a required field that is missing or of the wrong kind.
    ///
    /// A note the controller signed ends in an SSH signature block (``SignedNote``); it is read past.
    public init(yaml note: String) throws {
        let text = SignedNote(text: note).body
        let composer = YAMLComposer(limits: ManifestLimits(maxDocumentsPerFile: 1), isDefaultsFile: false)
        let (documents, failure) = composer.compose(Array(text.utf8))
        let claimsToBeAnnotation = text.hasPrefix("gitfleet:")
        if let failure {
            throw StatusAnnotationError(
                claimsToBeAnnotation ? .malformed : .notAnnotation,
                claimsToBeAnnotation
                    ? "is not valid YAML: \(failure.message)"
                    : "the note is not a gitfleet status annotation (it is not a YAML document: \(failure.message))",
                line: failure.line, column: failure.column)
        }
        guard documents.count == 1, case .mapping(let pairs, _)? = documents[0].root else {
            throw StatusAnnotationError(
                .notAnnotation,
                "the note is not a gitfleet status annotation (expected a YAML mapping with `gitfleet: v1`)")
        }
        let fields = AnnotationFields(pairs)
        guard let version = fields.scalar("gitfleet") else {
            throw StatusAnnotationError(
                .notAnnotation, "the note is not a gitfleet status annotation (it has no `gitfleet:` key)")
        }
        guard version.text == Self.formatVersion else {
            throw StatusAnnotationError(
                .unsupportedVersion,
                "the note is a gitfleet annotation in format '\(version.text)'; this gitfleet reads "
                    + "'\(Self.formatVersion)' (upgrade gitfleet to read it)",
                line: Int(version.mark.line), column: Int(version.mark.column))
        }
        let atText = try fields.requiredString("at")
        guard let at = try? Date(atText, strategy: .iso8601) else {
            throw fields.malformed("at", "'\(atText)' is not a UTC timestamp such as 2026-11-22T13:02:11Z")
        }
        self.init(
            result: try fields.result("result"),
            fleet: try fields.requiredString("fleet"),
            controller: try fields.requiredString("controller"),
            at: at,
            revision: try fields.requiredString("revision"),
            reason: try fields.string("reason"),
            errors: try fields.strings("errors"))
        if let signature = try fields.mapping("signature") {
            self.signature = Signature(
                method: try signature.requiredString("method"), signer: try signature.string("signer"))
        }
        if let rewrite = try fields.mapping("rewrite") {
            self.rewrite = Rewrite(from: try rewrite.requiredString("from"), note: try rewrite.requiredString("note"))
        }
        if let services = try fields.mapping("services") {
            for (name, node) in services.entries {
                guard case .mapping(let servicePairs, _) = node else {
                    throw services.malformed(name, "expected a mapping such as {result: converged, ...}")
                }
                let service = AnnotationFields(servicePairs, path: "services.\(name)")
                var took: Duration?
                if let tookText = try service.string("took") {
                    guard let parsed = Duration.manifest(tookText) else {
                        throw service.malformed("took", "'\(tookText)' is not a duration such as 41s or 1m30s")
                    }
                    took = parsed
                }
                self.services[name] = ServiceStatus(
                    result: try service.result("result"), from: try service.string("from"),
                    to: try service.string("to"),
                    created: try service.integer("created") ?? 0, destroyed: try service.integer("destroyed") ?? 0,
                    took: took, reason: try service.string("reason"))
            }
        }
        actions = try fields.actions("actions")
        started = try fields.timestamp("started")
        finished = try fields.timestamp("finished")
        if let previous = try fields.mapping("previous") {
            self.previous = ChainLink(
                commit: try previous.requiredString("commit"), digest: try previous.requiredString("digest"))
        }
    }
}

/// The keys of one mapping in an annotation, read leniently: unknown keys are ignored, the first of
/// duplicate keys wins, and a problem names its field path and line.
private struct AnnotationFields {
    let entries: [(String, YAMLNode)]
    let path: String
    let mark: YAMLMark?

    init(_ pairs: [YAMLPair], path: String = "", mark: YAMLMark? = nil) {
        var seen: Set<String> = []
        var entries: [(String, YAMLNode)] = []
        for pair in pairs {
            guard case .scalar(let key) = pair.key, seen.insert(key.text).inserted else { continue }
            entries.append((key.text, pair.value))
        }
        self.entries = entries
        self.path = path
        self.mark = mark ?? pairs.first?.key.mark
    }

    func node(_ key: String) -> YAMLNode? {
        entries.first { $0.0 == key }?.1
    }

    func malformed(_ key: String, _ message: String) -> StatusAnnotationError {
        let at = node(key)?.mark ?? mark
        return StatusAnnotationError(
            .malformed, "`\(path.isEmpty ? key : "\(path).\(key)")`: \(message)", line: at.map { Int($0.line) },
            column: at.map { Int($0.column) })
    }

    func scalar(_ key: String) -> YAMLScalar? {
        if case .scalar(let scalar)? = node(key) { return scalar }
        return nil
    }

    /// A string field; nil when absent or null.
    func string(_ key: String) throws -> String? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw malformed(key, "expected text, found \(node.kindDescription)")
        }
        return scalar.type == .null ? nil : scalar.text
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw malformed(key, "is missing") }
        return text
    }

    /// A UTC timestamp field; nil when absent.
    func timestamp(_ key: String) throws -> Date? {
        guard let text = try string(key) else { return nil }
        guard let date = try? Date(text, strategy: .iso8601) else {
            throw malformed(key, "'\(text)' is not a UTC timestamp such as 2026-11-22T13:02:11Z")
        }
        return date
    }

    func integer(_ key: String) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = scalar(key)?.integer, value >= 0 else {
            throw malformed(key, "'\(text)' is not a count")
        }
        return value
    }

    func result(_ key: String) throws -> DeploymentResult {
        let text = try requiredString(key)
        guard let result = DeploymentResult(rawValue: text) else {
            let known = DeploymentResult.allCases.map(\.rawValue).joined(separator: ", ")
            throw malformed(key, "'\(text)' is not a result; expected one of \(known)")
        }
        return result
    }

    func strings(_ key: String) throws -> [String] {
        guard let node = node(key) else { return [] }
        switch node {
        case .sequence(let items, _):
            return try items.map { item in
                guard case .scalar(let scalar) = item else {
                    throw malformed(key, "expected a list of text, found \(item.kindDescription) in it")
                }
                return scalar.text
            }
        case .scalar(let scalar) where scalar.type == .null:
            return []
        default:
            throw malformed(key, "expected a list, found \(node.kindDescription)")
        }
    }

    /// The `actions` list: one mapping per operator action; absent (older notes) is none.
    func actions(_ key: String) throws -> [OperatorAction] {
        guard let node = node(key) else { return [] }
        switch node {
        case .sequence(let items, _):
            return try items.enumerated().map { index, item in
                guard case .mapping(let pairs, let mark) = item else {
                    throw malformed(key, "expected a list of mappings such as {action: suspend, ...}")
                }
                let fields = AnnotationFields(
                    pairs, path: "\(path.isEmpty ? key : "\(path).\(key)")[\(index)]", mark: mark)
                let atText = try fields.requiredString("at")
                guard let at = try? Date(atText, strategy: .iso8601) else {
                    throw fields.malformed("at", "'\(atText)' is not a UTC timestamp such as 2026-11-22T13:02:11Z")
                }
                return OperatorAction(
                    action: try fields.requiredString("action"), service: try fields.string("service"),
                    by: try fields.requiredString("by"), at: at, reason: try fields.string("reason"),
                    outcome: try fields.string("outcome"))
            }
        case .scalar(let scalar) where scalar.type == .null:
            return []
        default:
            throw malformed(key, "expected a list, found \(node.kindDescription)")
        }
    }

    func mapping(_ key: String) throws -> AnnotationFields? {
        guard let node = node(key) else { return nil }
        switch node {
        case .mapping(let pairs, let mark):
            return AnnotationFields(pairs, path: path.isEmpty ? key : "\(path).\(key)", mark: mark)
        case .scalar(let scalar) where scalar.type == .null:
            return nil
        default:
            throw malformed(key, "expected a mapping, found \(node.kindDescription)")
        }
    }
}
