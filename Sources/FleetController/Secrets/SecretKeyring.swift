import Crypto
import FleetModel
import FleetSecrets
import Foundation

/// The controller's age identities: what opens the fleet's sealed secrets, and the key of their digests.
///
/// The digest of a value is HMAC-SHA256 under a key derived from the *first* identity (see
/// ``AgeIdentity/derivedKey(purpose:)``): every replica holding the same identity file computes the same
/// spec hash, and a spec hash, an event or the registry's last good spec tells nobody without the identity
/// anything about the value. Later identities only open files (for key rotation: add the new key, re-seal,
/// then drop the old one).
public struct SecretKeyring: Sendable {
    public let identities: [AgeIdentity]
    private let digestKey: [UInt8]

    public init(identities: [AgeIdentity]) {
        precondition(!identities.isEmpty, "a keyring holds at least one identity")
        self.identities = identities
        digestKey = identities[0].derivedKey(purpose: "gitfleet secret digest v1").withUnsafeBytes { Array($0) }
    }

    /// Reads an identity file as `age-keygen` writes it (`#` comments, one `AGE-SECRET-KEY-1…` a line).
    public static func load(identityFile path: String, setting: String = "secretIdentityFile") throws(SecretError)
        -> SecretKeyring
    {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SecretError(.identity, "\(setting): cannot read the identity file \(path)")
        }
        do {
            return SecretKeyring(identities: try AgeIdentityFile(contents: contents).identities)
        } catch {
            throw SecretError(.identity, "\(setting): \(path): \(error.description)")
        }
    }

    /// The keyed digest of a value, as lower-case hex.
    public func digest(of value: [UInt8]) -> String {
        Hex.lowercase(HMAC<SHA256>.authenticationCode(for: value, using: SymmetricKey(data: digestKey)))
    }

    /// The plaintext of a sealed (age, binary or armored) file.
    public func open(_ sealed: [UInt8]) throws(AgeError) -> [UInt8] {
        try Age.decrypt(sealed, with: identities)
    }
}

/// Why a secret could not be had; never holds a value or key material.
public struct SecretError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// The identity file is missing, unreadable or holds no identity.
        case identity
        /// A sealed file is missing, unreadable, or does not open with the identities.
        case sealedFile
        /// A secret's value is not the one the spec was admitted with.
        case changed
        /// The spec refers to secrets but the controller has no identity.
        case notConfigured
    }

    public var code: Code
    public var description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
