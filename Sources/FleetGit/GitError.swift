import CLibgit2

/// A failed Git operation, with what was attempted and what libgit2 said about it.
///
/// `code` is what callers branch on (retry a network error, alert on an auth error, reject an unknown revision);
/// `message` is for people; `libgit2Class`/`libgit2Code` keep the underlying cause for debugging.
public struct GitError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is, independent of libgit2's numeric codes.
    public enum Code: String, Sendable, Hashable {
        /// A revision, path, object, reference or remote does not exist.
        case notFound
        /// A short revision or name matches more than one thing.
        case ambiguous
        /// The remote rejected the credentials, none were configured, or the attempts ran out.
        case auth
        /// The remote's TLS certificate or SSH host key is not trusted.
        case certificate
        /// The remote could not be reached or the transfer broke.
        case network
        /// The repository's files cannot be read by this process (file permissions).
        case permissionDenied
        /// The remote did not answer within the operation's deadline (see `GitNetwork`).
        case timedOut
        /// The caller passed something malformed (a bad object id, a revision that is not a commit).
        case invalidInput
        /// An object is larger than the caller allowed.
        case tooLarge
        /// The remote refused a push (it moved meanwhile, or a hook declined it) and the retries ran out.
        case rejected
        /// Anything else libgit2 reported.
        case other
    }

    public var code: Code
    /// What was being done, e.g. "resolve 'main'" or "fetch https://example.com/fleet.git".
    public var operation: String
    /// A sentence a person can act on.
    public var message: String
    /// libgit2's error class (`git_error_t`), when libgit2 reported the failure.
    public var libgit2Class: Int32?
    /// libgit2's return code (`git_error_code`), when libgit2 reported the failure.
    public var libgit2Code: Int32?

    public init(
        _ code: Code, operation: String, message: String, libgit2Class: Int32? = nil, libgit2Code: Int32? = nil
    ) {
        self.code = code
        self.operation = operation
        self.message = message
        self.libgit2Class = libgit2Class
        self.libgit2Code = libgit2Code
    }

    public var description: String {
        var text = "\(operation) failed (\(code.rawValue)): \(message)"
        if let libgit2Code {
            text += " [libgit2 code \(libgit2Code), class \(libgit2Class ?? 0)]"
        }
        return text
    }

    /// Builds an error from a libgit2 return code and the thread's last libgit2 error.
    static func libgit2(_ result: Int32, operation: String) -> GitError {
        var message = "libgit2 returned \(result)"
        var errorClass: Int32 = 0
        if let last = git_error_last() {
            errorClass = last.pointee.klass
            if let text = last.pointee.message {
                message = String(cString: text)
            }
        }
        return GitError(
            code(for: result, errorClass: errorClass), operation: operation, message: message,
            libgit2Class: errorClass, libgit2Code: result)
    }

    private static func code(for result: Int32, errorClass: Int32) -> Code {
        switch result {
        case GIT_ENOTFOUND.rawValue: return .notFound
        case GIT_EAMBIGUOUS.rawValue: return .ambiguous
        case GIT_EAUTH.rawValue: return .auth
        case GIT_ECERTIFICATE.rawValue: return .certificate
        case GIT_EINVALIDSPEC.rawValue, GIT_EINVALID.rawValue: return .invalidInput
        default: break
        }
        switch errorClass {
        case Int32(GIT_ERROR_NET.rawValue), Int32(GIT_ERROR_SSH.rawValue), Int32(GIT_ERROR_HTTP.rawValue),
            Int32(GIT_ERROR_SSL.rawValue):
            return .network
        default:
            return .other
        }
    }
}
