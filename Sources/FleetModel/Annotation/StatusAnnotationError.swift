/// A git note that could not be read as a status annotation.
public struct StatusAnnotationError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// The note is not a gitfleet annotation at all (no `gitfleet:` key, or not YAML): someone else's note.
        case notAnnotation
        /// A gitfleet annotation in a format version this controller does not read.
        case unsupportedVersion
        /// A gitfleet annotation with a required field missing or of the wrong kind.
        case malformed
    }

    public var code: Code
    /// A sentence a person can act on.
    public var message: String
    /// Where in the note the problem is, when known (1-based).
    public var line: Int?
    public var column: Int?

    public init(_ code: Code, _ message: String, line: Int? = nil, column: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String {
        let position = line.map { "line \($0)\(column.map { ", column \($0)" } ?? ""): " } ?? ""
        return "status annotation \(position)\(message)"
    }
}
