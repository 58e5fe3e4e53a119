/// Why the serving set could not be published; the rollout waits until it can.
public struct DiscoveryError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A discovery setting (an output, the reload command) is malformed.
        case badSetting
        /// A user template could not be read.
        case templateUnreadable
        /// A user template is not valid Mustache.
        case templateInvalid
        /// An output file could not be written.
        case writeFailed
        /// The reload command could not be started.
        case reloadUnavailable
        /// The reload command exited non-zero.
        case reloadFailed
        /// The reload command overran its timeout and was killed.
        case reloadTimedOut
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        message + (underlying.map { " (\($0))" } ?? "")
    }
}
