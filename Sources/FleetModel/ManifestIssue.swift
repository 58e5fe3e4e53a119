/// One thing wrong with the fleet repository, said so that a person can fix it without guessing:
/// where (file:line:column and the field path), what is wrong, and what was expected.
public struct ManifestIssue: Hashable, Sendable, Codable, CustomStringConvertible {
    public var location: SourceLocation
    /// Dotted path to the field, such as `spec.rollout.maxSurge` or `spec.ports.http`; empty for the document.
    public var fieldPath: String
    public var message: String
    /// What would have been accepted, such as `a duration like 30s`.
    public var expected: String?

    public init(location: SourceLocation, fieldPath: String, message: String, expected: String? = nil) {
        self.location = location
        self.fieldPath = fieldPath
        self.message = message
        self.expected = expected
    }

    /// `services/web.yaml:12:5: spec.replicas: must not be negative (expected a whole number from 0 to 10000)`
    public var description: String {
        var text = "\(location): "
        if !fieldPath.isEmpty { text += "\(fieldPath): " }
        text += message
        if let expected { text += " (expected \(expected))" }
        return text
    }
}

/// Every problem found in a fleet repository at once, sorted by file, line and column.
public struct ManifestError: Error, Hashable, Sendable, CustomStringConvertible {
    public var issues: [ManifestIssue]

    public init(issues: [ManifestIssue]) {
        self.issues = issues.sorted {
            ($0.location, $0.fieldPath, $0.message) < ($1.location, $1.fieldPath, $1.message)
        }
    }

    public var description: String {
        let count = issues.count == 1 ? "1 error" : "\(issues.count) errors"
        return (issues.map(\.description) + ["\(count) in the fleet repository"]).joined(separator: "\n")
    }
}
