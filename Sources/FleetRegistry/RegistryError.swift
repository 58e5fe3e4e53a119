/// Why a registry operation failed.
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// A compare-and-swap expectation did not hold; nothing of the commit was applied. Re-read and retry.
        case conflict
        /// The request breaks the contract (too many changes, a record named twice, an empty key).
        case invalid
        /// This writer has been fenced off (it lost leadership); nothing was applied.
        case fenced
        /// The store cannot be reached, is closed, or is busy past its timeout.
        case unavailable
        /// Stored data cannot be read back as records.
        case corrupt
        /// The store was written by a newer schema than this build understands.
        case incompatible
        /// Reading or writing the store failed (disk full, permissions).
        case io
    }

    public var code: Code
    public var message: String
    /// The record concerned, when there is one (always, for `.conflict`).
    public var record: RegistryRecordKey?
    public var underlying: (any Error)?

    public init(
        _ code: Code, _ message: String, record: RegistryRecordKey? = nil, underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.record = record
        self.underlying = underlying
    }

    public var description: String {
        var text = "registry \(code.rawValue): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
