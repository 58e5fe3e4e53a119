import Foundation

/// A note's text split into what was signed and the SSH signature that travels after it.
///
/// The controller signs a note's YAML with `ssh-keygen -Y sign -n gitfleet-note` and appends the armored
/// signature, so `git log --notes=gitfleet` shows both and anyone can check it with `ssh-keygen -Y verify`:
/// the signed message is every byte before the `-----BEGIN SSH SIGNATURE-----` line.
public struct SignedNote: Hashable, Sendable {
    /// The namespace every note signature is made in, so a note signature is never mistaken for a commit's
    /// (`git`) or a file's, and the reverse.
    public static let namespace = "gitfleet-note"
    static let armorStart = "-----BEGIN SSH SIGNATURE-----\n"

    /// The signed part: the annotation's YAML, ending in a newline.
    public var body: String
    /// The armored signature (`-----BEGIN SSH SIGNATURE-----` … `-----END SSH SIGNATURE-----\n`); nil for an
    /// unsigned note.
    public var signature: String?

    /// Splits `text` at the first line that opens an SSH signature.
    public init(text: String) {
        if text.hasPrefix(Self.armorStart) {
            body = ""
            signature = text
        } else if let range = text.range(of: "\n" + Self.armorStart) {
            body = String(text[..<range.lowerBound]) + "\n"
            signature = String(text[text.index(after: range.lowerBound)...])
        } else {
            body = text
            signature = nil
        }
    }

    public init(body: String, signature: String?) {
        self.body = body
        self.signature = signature
    }

    /// The note as stored: the body, then the signature when there is one.
    public var text: String {
        guard let signature else { return body }
        return body + (signature.hasSuffix("\n") ? signature : signature + "\n")
    }
}
