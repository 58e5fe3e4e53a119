/// Why an age key or file was refused, in a sentence that never contains key material or plaintext.
public struct AgeError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Not an `age1…` X25519 recipient.
        case invalidRecipient
        /// Not an `AGE-SECRET-KEY-1…` identity, or an identity file that holds something else.
        case invalidIdentity
        /// Not an age v1 file: the header, a stanza, the armor or the payload's framing is wrong.
        case malformed
        /// None of the identities opens any of the file's stanzas: it was sealed for other recipients.
        case noMatchingIdentity
        /// The header's MAC or a payload chunk failed authentication: the file was changed or cut short.
        case integrity
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
