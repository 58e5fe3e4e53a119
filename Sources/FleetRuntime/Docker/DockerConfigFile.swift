import Foundation

/// A Docker `config.json` (what `docker login` writes, and what a Kubernetes `kubernetes.io/dockerconfigjson`
/// Secret holds) as the Docker runtime reads registry credentials from it: per registry under `auths`, an
/// `auth` (base64 of `user:password`), `username` and `password`, or an `identitytoken`. Podman's
/// `auth.json` has the same `auths` shape and reads the same. Credential helpers (`credsStore`,
/// `credHelpers`) are not run: an entry without credentials counts as none.
///
/// Read by ``credentials()`` on every pull rather than once, so a rotated file (a Secret updated in place)
/// is used without a restart; a pull is rare and the file small.
public struct DockerConfigFile: Sendable, Hashable {
    public var path: String

    public init(path: String) {
        self.path = path
    }

    /// The credentials of the file, by canonical registry host (``RegistryHost/canonical(_:)``).
    public func credentials() throws(DockerConfigError) -> [String: RegistryCredential] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DockerConfigError(file: path, path: nil, "cannot be read (\(Self.reason(error)))")
        }
        return try Self.credentials(json: data, file: path)
    }

    /// The credential for the registry `repository` is pulled from, and that registry's host; nil when the
    /// file holds none for it.
    public func credential(
        forRepository repository: String
    ) throws(DockerConfigError) -> (host: String, credential: RegistryCredential?) {
        let host = RegistryHost.of(repository: repository)
        return (host, try credentials()[host])
    }

    /// Parses the file's contents; `file` names it in errors.
    static func credentials(json data: Data, file: String) throws(DockerConfigError) -> [String: RegistryCredential] {
        let document: Any
        do {
            document = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DockerConfigError(file: file, path: nil, "is not JSON (\(Self.reason(error)))")
        }
        guard let root = document as? [String: Any] else {
            throw DockerConfigError(file: file, path: nil, "expected a JSON object with an \"auths\" object")
        }
        guard let authsValue = root["auths"] else { return [:] }
        guard let auths = authsValue as? [String: Any] else {
            throw DockerConfigError(file: file, path: "auths", "expected an object of registries")
        }
        var found: [String: RegistryCredential] = [:]
        for key in auths.keys.sorted() {
            let at = "auths[\"\(key)\"]"
            guard let entry = auths[key] as? [String: Any] else {
                throw DockerConfigError(file: file, path: at, "expected an object with auth or identitytoken")
            }
            guard let credential = try Self.credential(entry, file: file, at: at) else { continue }
            let host = RegistryHost.canonical(key)
            // A key spelled as the host itself wins over an old-style one (`https://host/v1/`) for the same host.
            if found[host] == nil || key == host { found[host] = credential }
        }
        return found
    }

    /// One registry's entry; nil when it holds no credentials (an entry `docker login` left to a helper).
    static func credential(
        _ entry: [String: Any], file: String, at: String
    ) throws(DockerConfigError) -> RegistryCredential? {
        func text(_ field: String) throws(DockerConfigError) -> String? {
            guard let value = entry[field] else { return nil }
            guard let string = value as? String else {
                throw DockerConfigError(file: file, path: "\(at).\(field)", "expected a string")
            }
            return string.isEmpty ? nil : string
        }
        if let token = try text("identitytoken") { return RegistryCredential(.identityToken(token)) }
        if let auth = try text("auth") {
            var padded = auth.trimmingCharacters(in: .whitespaces)
            if padded.count % 4 != 0 { padded += String(repeating: "=", count: 4 - padded.count % 4) }
            // The decoded value is never put in the message: it is the password.
            guard let decoded = Data(base64Encoded: padded).flatMap({ String(data: $0, encoding: .utf8) }),
                let colon = decoded.firstIndex(of: ":")
            else {
                throw DockerConfigError(file: file, path: "\(at).auth", "expected base64 of user:password")
            }
            return RegistryCredential(
                .password(
                    username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...])))
        }
        switch (try text("username"), try text("password")) {
        case (let username?, let password?):
            return RegistryCredential(.password(username: username, password: password))
        case (nil, nil):
            return nil
        default:
            throw DockerConfigError(file: file, path: at, "username and password must be given together")
        }
    }

    /// The cause of a failure in a few words, without the file's contents.
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        return (nsError.userInfo[NSDebugDescriptionErrorKey] as? String)
            ?? (nsError.userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription
            ?? nsError.localizedDescription
    }
}

/// A Docker config file that cannot be used, located by file and JSON path (`auths["host"].auth`). Never
/// holds a credential: messages name fields, not their values.
public struct DockerConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// The JSON path of the bad value; nil for the file as a whole.
    public var path: String?
    public var message: String

    public init(file: String, path: String?, _ message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    /// `file: path: message`, for a caller that names the setting itself.
    public var located: String {
        file + (path.map { ": \($0)" } ?? "") + ": \(message)"
    }

    public var description: String { "dockerConfigFile \(located)" }
}
