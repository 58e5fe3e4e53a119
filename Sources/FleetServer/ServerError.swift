/// A failure to configure or start the HTTP server.
public struct ServerError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// A webhook secret file could not be read.
        case secretUnreadable
        /// A webhook secret file holds nothing but whitespace.
        case secretEmpty
        /// A listener's TLS certificate or key file cannot be read as PEM.
        case tlsUnreadable
        /// The configuration is invalid (e.g. a body limit below 1 byte).
        case invalidConfiguration
        /// The server stopped, or failed to bind, before it listened.
        case notListening
    }

    public var code: Code
    /// A sentence a person can act on.
    public var message: String
    /// What went wrong underneath, when something did.
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        underlying.map { "\(message): \($0)" } ?? message
    }
}
