/// A runtime operation that failed, with what to do about it in `message`.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Hashable {
        /// No image under that reference in the runtime's store.
        case imageNotFound
        /// The reference carries a digest that is no longer what the runtime holds: the image changed.
        case imageChanged
        /// The image is unusable (bad metadata, no entrypoint).
        case invalidImage
        /// The launch itself is wrong (bad instance id, unpinned image).
        case invalidLaunch
        /// The process or container could not be started.
        case startFailed
        /// No instance with that id.
        case notFound
        /// Reading or writing the runtime's state failed.
        case io
        /// A host of the runtime (a Docker engine) does not answer; its instances cannot be seen or controlled.
        case hostUnavailable
        /// An image registry refused a pull for want of credentials, or refused the ones presented.
        case credentialsRefused
    }

    public var code: Code
    public var message: String
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let cause { text += " (\(cause))" }
        return text
    }
}
