/// What the controller concluded about a commit's signature, with a reason a person can act on.
public struct SignatureVerdict: Hashable, Sendable, CustomStringConvertible {
    /// How the commit was signed.
    public enum Method: String, Hashable, Sendable {
        case ssh
        case gpg
        /// Unsigned, or signed in a format the controller does not verify.
        case none
    }

    /// True only when the signature verified against an allowed signer.
    public var trusted: Bool
    public var method: Method
    /// The allowed_signers principal (SSH) or the primary key fingerprint (GPG) when known; for an
    /// untrusted signature, the key that made it when that could be read.
    public var signer: String?
    /// Why the commit is (not) trusted, e.g. "commit abc123 is not signed".
    public var reason: String

    public init(trusted: Bool, method: Method, signer: String?, reason: String) {
        self.trusted = trusted
        self.method = method
        self.signer = signer
        self.reason = reason
    }

    static func untrusted(_ method: Method, signer: String? = nil, _ reason: String) -> SignatureVerdict {
        SignatureVerdict(trusted: false, method: method, signer: signer, reason: reason)
    }

    public var description: String {
        "\(trusted ? "trusted" : "untrusted") (\(method.rawValue)\(signer.map { ", \($0)" } ?? "")): \(reason)"
    }
}
