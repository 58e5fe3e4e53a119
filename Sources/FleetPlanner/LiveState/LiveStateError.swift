/// Why a live-state file could not be read, said so that a person can find the spot and fix it:
/// the file, the place inside it as a JSON path (`[2].state`) and what was wrong there.
public struct LiveStateError: Error, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// The file could not be opened or read.
        case unreadable
        /// The bytes are not JSON.
        case malformedJSON
        /// Valid JSON that is not a list of instance records.
        case invalidRecord
    }

    public var code: Code
    /// The file as it was named to us.
    public var file: String
    /// Where in the document: `[2].state`, `[0].ports.http`; empty for the whole document.
    public var fieldPath: String
    public var message: String
    /// The decoder's or the file system's own error.
    public var underlying: (any Error)?

    public init(code: Code, file: String, fieldPath: String = "", message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.file = file
        self.fieldPath = fieldPath
        self.message = message
        self.underlying = underlying
    }

    /// `live.json: [2].state: unknown state 'runing' (expected one of pending, starting, …)`
    public var description: String {
        fieldPath.isEmpty ? "\(file): \(message)" : "\(file): \(fieldPath): \(message)"
    }
}
