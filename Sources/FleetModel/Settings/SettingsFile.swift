/// A YAML settings file, such as the controller's configuration, read as a flat set of keys.
///
/// Nested mappings flatten to dotted keys (`webhooks: {githubSecretFile: …}` is
/// `webhooks.githubSecretFile`); each value keeps where it was written, so a bad value can be
/// reported as file:line:column. Values are scalars or lists of scalars.
public struct SettingsFile: Sendable {
    public struct Value: Sendable {
        /// The scalar's text, or nil for a list.
        public var text: String?
        /// The items of a list, or nil for a scalar.
        public var list: [String]?
        /// Where the value is written.
        public var location: SourceLocation
        /// Where its key is written (the value's own location for a top-level scalar).
        public var keyLocation: SourceLocation
    }

    public var values: [String: Value]

    /// Parses `bytes`; throws ``ManifestError`` for YAML that is not a mapping of scalars and lists.
    public static func parse(_ bytes: [UInt8], file: String) throws -> SettingsFile {
        let composer = YAMLComposer(limits: ManifestLimits(), isDefaultsFile: false)
        let (documents, failure) = composer.compose(bytes)
        if let failure {
            throw ManifestError(issues: [
                ManifestIssue(
                    location: SourceLocation(file: file, line: failure.line, column: failure.column), fieldPath: "",
                    message: failure.message, expected: failure.expected)
            ])
        }
        guard let root = documents.first?.root else { return SettingsFile(values: [:]) }
        var values: [String: Value] = [:]
        var issues: [ManifestIssue] = []
        flatten(root, prefix: "", keyLocation: nil, file: file, into: &values, issues: &issues)
        guard issues.isEmpty else { throw ManifestError(issues: issues) }
        return SettingsFile(values: values)
    }

    private static func flatten(
        _ node: YAMLNode, prefix: String, keyLocation: SourceLocation?, file: String,
        into values: inout [String: Value],
        issues: inout [ManifestIssue]
    ) {
        let location = node.mark.location(file: file, defaultsFile: nil)
        switch node {
        case .mapping(let pairs, _):
            for pair in pairs {
                guard case .scalar(let key) = pair.key else {
                    issues.append(
                        ManifestIssue(location: location, fieldPath: prefix, message: "keys must be plain names"))
                    continue
                }
                let path = prefix.isEmpty ? key.text : "\(prefix).\(key.text)"
                if values[path] != nil {
                    issues.append(
                        ManifestIssue(
                            location: key.mark.location(file: file, defaultsFile: nil), fieldPath: path,
                            message: "'\(key.text)' is set twice"))
                }
                flatten(
                    pair.value, prefix: path, keyLocation: key.mark.location(file: file, defaultsFile: nil), file: file,
                    into: &values, issues: &issues)
            }
        case .sequence(let items, _):
            var list: [String] = []
            for item in items {
                guard case .scalar(let scalar) = item else {
                    issues.append(
                        ManifestIssue(
                            location: item.mark.location(file: file, defaultsFile: nil), fieldPath: prefix,
                            message: "found \(item.kindDescription)", expected: "a list of plain values"))
                    continue
                }
                list.append(scalar.text)
            }
            values[prefix] = Value(text: nil, list: list, location: location, keyLocation: keyLocation ?? location)
        case .scalar(let scalar):
            values[prefix] = Value(
                text: scalar.type == .null ? nil : scalar.text, list: nil, location: location,
                keyLocation: keyLocation ?? location)
        }
    }

    /// The closest known key to `key`, for "did you mean" hints.
    public static func suggestion(for key: String, among known: [String]) -> String? {
        FieldSuggestion.closest(to: key, among: known)
    }
}
