import FleetModel

/// Where the converger gets the values of a spec's secrets, just before it starts an instance.
///
/// Values are read then, not when the commit is admitted, so that they are never stored anywhere (registry,
/// events, live state) and so that an instance of an older spec (a rollback to the last good spec, or one
/// started after a restart) gets the value its own spec was admitted with: references carry the Git object
/// id of the sealed file they were read from.
public protocol SecretSource: Sendable {
    /// The values of `spec`'s secrets: environment variables by name and files by path. Throws a
    /// ``SecretError`` whose message names the secret, never its value.
    func values(for spec: ServiceSpec) async throws -> (env: [String: SecretValue], files: [String: SecretValue])
}

/// Reads sealed files by object id from the tracked repository and opens them with the keyring.
public struct RepositorySecrets: SecretSource {
    public let repository: TrackedRepository
    public let keyring: SecretKeyring

    public init(repository: TrackedRepository, keyring: SecretKeyring) {
        self.repository = repository
        self.keyring = keyring
    }

    public func values(for spec: ServiceSpec) async throws -> (
        env: [String: SecretValue], files: [String: SecretValue]
    ) {
        var opened: [String: SecretValue] = [:]
        func value(of reference: SecretReference) async throws -> SecretValue {
            guard let object = reference.object else {
                throw SecretError(.sealedFile, "secret \(reference.name) was admitted without its sealed file")
            }
            if let value = opened[object] { return value }
            let sealed: [UInt8]
            do {
                sealed = try await repository.blob(object, maxSize: SealedSecrets.maxFileSize)
            } catch {
                throw SecretError(
                    .sealedFile, "secret \(reference.name): cannot read its sealed file (object \(object)): \(error)")
            }
            let plaintext: [UInt8]
            do {
                plaintext = try keyring.open(sealed)
            } catch {
                throw SecretError(.sealedFile, "secret \(reference.name) cannot be decrypted: \(error.description)")
            }
            if let digest = reference.digest, digest != keyring.digest(of: plaintext) {
                throw SecretError(
                    .changed,
                    "secret \(reference.name) does not have the value its spec was admitted with "
                        + "(was secretIdentityFile's first identity changed?)")
            }
            let value = SecretValue(plaintext)
            opened[object] = value
            return value
        }
        var env: [String: SecretValue] = [:]
        for (name, reference) in spec.secretEnv ?? [:] { env[name] = try await value(of: reference) }
        var files: [String: SecretValue] = [:]
        for file in spec.secretFiles ?? [] { files[file.path] = try await value(of: file.secret) }
        return (env, files)
    }
}
