import Crypto
import Foundation

/// An X25519 recipient, `age1…`: the public half of an ``AgeIdentity``. Anyone may hold it; it only seals.
public struct AgeRecipient: Hashable, Sendable, CustomStringConvertible {
    /// The 32-byte X25519 public key.
    let publicKey: [UInt8]

    public init(_ text: String) throws(AgeError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let (hrp, data) = Bech32.decode(trimmed), hrp == "age", trimmed == trimmed.lowercased(),
            data.count == 32
        else {
            throw AgeError(
                .invalidRecipient,
                "'\(trimmed.prefix(80))' is not an age X25519 recipient (expected age1 followed by 58 characters)")
        }
        publicKey = data
    }

    init(publicKey: [UInt8]) {
        self.publicKey = publicKey
    }

    /// The `age1…` form.
    public var description: String { Bech32.encode(hrp: "age", data: publicKey) }
}

/// An X25519 identity, `AGE-SECRET-KEY-1…`: the private key that opens files sealed for its ``recipient``.
///
/// Its `description` never shows the key, so an identity that ends up in a log line or an error by mistake
/// reveals only its recipient.
public struct AgeIdentity: Sendable, CustomStringConvertible {
    /// The 32-byte X25519 scalar (kept as bytes: swift-crypto's key type is not Sendable).
    private let scalar: [UInt8]

    var privateKey: Curve25519.KeyAgreement.PrivateKey {
        // Checked when the identity was made, so this cannot fail.
        try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: scalar)
    }

    public init(_ text: String) throws(AgeError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // The error never quotes the text: a key with one wrong character is still almost a key.
        let refusal = AgeError(
            .invalidIdentity, "not an age X25519 identity (expected AGE-SECRET-KEY-1 followed by 58 characters)")
        guard let (hrp, data) = Bech32.decode(trimmed), hrp == "age-secret-key-",
            trimmed == trimmed.uppercased(), data.count == 32,
            (try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: data)) != nil
        else { throw refusal }
        scalar = data
    }

    init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        scalar = Array(privateKey.rawRepresentation)
    }

    /// A new identity from the system's random source.
    public static func generate() -> AgeIdentity {
        AgeIdentity(privateKey: Curve25519.KeyAgreement.PrivateKey())
    }

    public var recipient: AgeRecipient {
        AgeRecipient(publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// `AGE-SECRET-KEY-1…`, for writing an identity file; nothing else should print it.
    public var encoded: String {
        Bech32.encode(hrp: "age-secret-key-", data: scalar).uppercased()
    }

    public var description: String { "age identity for \(recipient)" }

    /// A key derived from the identity with HKDF-SHA256 (`info` = `purpose`): every holder of the identity derives
    /// the same key, and nobody without it can. It is never the key that opens files.
    public func derivedKey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: scalar),
            salt: Array("gitfleet.dev/age-derived-key".utf8), info: Array(purpose.utf8), outputByteCount: 32)
    }
}

/// An identity file as `age-keygen` writes it: `#` comments, blank lines, one `AGE-SECRET-KEY-1…` per line.
public struct AgeIdentityFile: Sendable {
    /// In file order; the first is the primary one (the one ``AgeIdentity/derivedKey(purpose:)`` is taken from
    /// when a single key is needed).
    public var identities: [AgeIdentity]

    public init(contents: String) throws(AgeError) {
        var identities: [AgeIdentity] = []
        for (index, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty || text.hasPrefix("#") { continue }
            do {
                identities.append(try AgeIdentity(text))
            } catch {
                throw AgeError(.invalidIdentity, "line \(index + 1): \(error.description)")
            }
        }
        guard !identities.isEmpty else {
            throw AgeError(.invalidIdentity, "no identity in the file (expected a line AGE-SECRET-KEY-1…)")
        }
        self.identities = identities
    }

    /// The file `age-keygen` would write for `identity`.
    public static func contents(for identity: AgeIdentity, created: Date = Date()) -> String {
        let stamp = ISO8601DateFormatter().string(from: created)
        return "# created: \(stamp)\n# public key: \(identity.recipient)\n\(identity.encoded)\n"
    }
}
