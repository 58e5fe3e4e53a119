/// The signature a commit carries in its `gpgsig` header, and the exact bytes it signs.
///
/// The payload is the commit object without the signature header, byte for byte as Git signed it, so a
/// verifier can hand it to `ssh-keygen` or `gpg` unchanged. Whether the signature is any good is not decided
/// here: FleetGit only reads what the commit claims.
public struct CommitSignature: Hashable, Sendable {
    /// The kinds of armored signature Git writes.
    public enum Format: String, Hashable, Sendable {
        /// `-----BEGIN SSH SIGNATURE-----` (`gpg.format=ssh`).
        case ssh
        /// `-----BEGIN PGP SIGNATURE-----` (`gpg.format=openpgp`, the default).
        case openPGP
        /// `-----BEGIN SIGNED MESSAGE-----` (`gpg.format=x509`) or anything else.
        case unknown
    }

    /// The armored signature text as stored in the commit.
    public var armored: String
    /// The signed payload: the commit object minus its signature header.
    public var payload: [UInt8]

    public init(armored: String, payload: [UInt8]) {
        self.armored = armored
        self.payload = payload
    }

    /// The format the armor header announces.
    public var format: Format {
        let text = armored.drop(while: { $0.isWhitespace })
        if text.hasPrefix("-----BEGIN SSH SIGNATURE-----") { return .ssh }
        if text.hasPrefix("-----BEGIN PGP SIGNATURE-----") { return .openPGP }
        return .unknown
    }
}
