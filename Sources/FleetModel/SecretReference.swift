/// A spec's reference to a secret sealed in the repository (`secrets/<name>.age`), by name.
///
/// The spec never holds the value: specs are stored in the registry, in the live-state document and in
/// events. What it holds once the controller has read the sealed file is the file's Git object id (so the
/// value can be read again for a rollback or after a restart) and a keyed digest of the value (HMAC-SHA256
/// under a key derived from the controller's identity), which is what the spec hash covers: a new value is
/// a new spec, the same value sealed again is not, and the digest tells nobody without the identity what the
/// value is.
public struct SecretReference: Hashable, Sendable, Codable, CustomStringConvertible {
    public var name: String
    /// The Git object id of the sealed file the value was read from; nil until the fleet's secrets are resolved.
    public var object: String?
    /// Lower-case hex HMAC-SHA256 of the value; nil until resolved with an identity.
    public var digest: String?
    /// Where the manifest refers to the secret, for errors; not stored and not compared.
    public var location: SourceLocation?

    public init(name: String, object: String? = nil, digest: String? = nil, location: SourceLocation? = nil) {
        self.name = name
        self.object = object
        self.digest = digest
        self.location = location
    }

    private enum CodingKeys: String, CodingKey {
        case name, object, digest
    }

    public static func == (lhs: SecretReference, rhs: SecretReference) -> Bool {
        lhs.name == rhs.name && lhs.object == rhs.object && lhs.digest == rhs.digest
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(object)
        hasher.combine(digest)
    }

    public var description: String { "secret \(name)" }

    /// Where sealed secrets live, relative to the fleet's root folder: `secrets/<name>.age`.
    public static let directory = "secrets"

    public static func path(of name: String) -> String { "\(directory)/\(name).age" }

    /// Secret names are file names: a DNS label-like name (letters, digits, `-`, `_`, `.`), at most 253.
    public static func isValidName(_ name: String) -> Bool {
        PortableName.isValid(name, maxLength: 253)
    }

    public static let nameRule = "letters, digits, '-', '_' and '.', not starting with '.'"
}

/// A secret written into the instance as a file with mode 0600 (`spec.secretFiles`).
public struct SecretFile: Hashable, Sendable, Codable {
    public var secret: SecretReference
    /// Absolute path: inside the container for the Docker runtime; under the instance's root folder (the copy
    /// of the image it runs in) for the process runtime.
    public var path: String

    public init(secret: SecretReference, path: String) {
        self.secret = secret
        self.path = path
    }
}

extension ServiceSpec {
    /// Every secret the spec refers to, environment first (by variable name), then files (in order).
    public var secretReferences: [SecretReference] {
        (secretEnv ?? [:]).sorted { $0.key < $1.key }.map(\.value) + (secretFiles ?? []).map(\.secret)
    }

    /// Applies `change` to every secret reference of the spec.
    public mutating func updateSecretReferences(_ change: (inout SecretReference) throws -> Void) rethrows {
        if var env = secretEnv {
            for name in env.keys { try change(&env[name]!) }
            secretEnv = env
        }
        if var files = secretFiles {
            for index in files.indices { try change(&files[index].secret) }
            secretFiles = files
        }
    }
}
