/// Which commits the controller may deploy, judged by their signatures.
///
/// Comes from the controller's own configuration, never from the fleet repository, so a commit cannot
/// switch its own check off. The allowed signers are an `ssh-keygen` allowed_signers file for SSH
/// signatures and a GnuPG home directory whose keyring holds the trusted keys for OpenPGP signatures;
/// either may be left out, and then signatures of that kind are never trusted.
public struct SignaturePolicy: Hashable, Sendable {
    /// Whether a commit must carry a trusted signature to be deployed.
    public var required: Bool
    /// An `ssh-keygen` allowed_signers file (`principal key-type base64-key` per line).
    public var allowedSignersFile: String?
    /// A GnuPG home directory; every key in its public keyring is trusted to sign deployments.
    public var gpgHome: String?
    /// How long one run of `ssh-keygen` or `gpg` may take before it is killed and the commit is untrusted.
    public var toolTimeout: Duration
    /// The `ssh-keygen` to run: a name looked up on PATH, or an absolute path.
    public var sshKeygen: String
    /// The `gpg` to run: a name looked up on PATH, or an absolute path.
    public var gpg: String

    public init(
        required: Bool = false, allowedSignersFile: String? = nil, gpgHome: String? = nil,
        toolTimeout: Duration = .seconds(10), sshKeygen: String = "ssh-keygen", gpg: String = "gpg"
    ) {
        self.required = required
        self.allowedSignersFile = allowedSignersFile
        self.gpgHome = gpgHome
        self.toolTimeout = toolTimeout
        self.sshKeygen = sshKeygen
        self.gpg = gpg
    }

    /// Whether a commit with this verdict may be deployed: always when signatures are not required,
    /// otherwise only when the signature is trusted.
    public func admits(_ verdict: SignatureVerdict) -> Bool {
        !required || verdict.trusted
    }
}
