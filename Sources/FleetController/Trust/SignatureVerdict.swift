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
    ///
    /// Written into the commit's status annotation, which is pushed to the remote for every reader: a sentence
    /// for a person, with no local path of the controller and no raw tool output (those go to ``detail``).
    public var reason: String
    /// What only the controller's own log should hold: the verifying tool's output, the local paths it used.
    public var detail: String?

    public init(trusted: Bool, method: Method, signer: String?, reason: String, detail: String? = nil) {
        self.trusted = trusted
        self.method = method
        self.signer = signer
        self.reason = reason
        self.detail = detail
    }

    static func untrusted(_ method: Method, signer: String? = nil, _ reason: String, detail: String? = nil)
        -> SignatureVerdict
    {
        SignatureVerdict(trusted: false, method: method, signer: signer, reason: reason, detail: detail)
    }

    public var description: String {
        "\(trusted ? "trusted" : "untrusted") (\(method.rawValue)\(signer.map { ", \($0)" } ?? "")): \(reason)"
    }
}
