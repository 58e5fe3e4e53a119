import Foundation

/// What the Docker runtime presents to an image registry on a pull: a user name and password, or an
/// identity token (the refresh token `docker login` keeps for registries that issue one).
///
/// Its description names the kind and the user only, never the password or the token, so a credential
/// can be logged or put in an error without leaking it.
public struct RegistryCredential: Sendable, Hashable, CustomStringConvertible {
    public enum Secret: Sendable, Hashable {
        case password(username: String, password: String)
        case identityToken(String)
    }

    public var secret: Secret

    public init(_ secret: Secret) {
        self.secret = secret
    }

    public var description: String {
        switch secret {
        case .password(let username, _): return "user \(username)"
        case .identityToken: return "an identity token"
        }
    }

    /// `text` with the password or token replaced by `***`, for an engine's message that might echo it.
    public func redacting(_ text: String) -> String {
        switch secret {
        case .password(_, let password) where !password.isEmpty:
            return text.replacingOccurrences(of: password, with: "***")
        case .identityToken(let token) where !token.isEmpty:
            return text.replacingOccurrences(of: token, with: "***")
        default:
            return text
        }
    }

    /// The `X-Registry-Auth` header of a pull from `serverAddress`: the JSON the Engine API documents
    /// (`{"username","password","serveraddress"}` or `{"identitytoken","serveraddress"}`), base64url-encoded
    /// with padding. Docker and Podman both decode it with Go's `base64.URLEncoding`, which needs the padding.
    public func registryAuthHeader(serverAddress: String) -> String {
        let payload: Payload
        switch secret {
        case .password(let username, let password):
            payload = Payload(username: username, password: password, serveraddress: serverAddress)
        case .identityToken(let token):
            payload = Payload(identitytoken: token, serveraddress: serverAddress)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and optionals only: encoding cannot fail.
        let json = (try? encoder.encode(payload)) ?? Data("{}".utf8)
        return json.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }

    /// The Engine API's `AuthConfig`, with only the fields a pull needs.
    struct Payload: Encodable {
        var username: String?
        var password: String?
        var identitytoken: String?
        var serveraddress: String
    }
}

/// Which registry an image comes from, spelled as Docker does: the first component of the repository when it
/// looks like a host (has a `.` or a `:`, or is `localhost`), else Docker Hub.
public enum RegistryHost {
    /// Docker Hub's canonical name; `docker.io`, `index.docker.io`, `registry-1.docker.io` and Docker's config key
    /// `https://index.docker.io/v1/` all mean it.
    public static let dockerHub = "docker.io"
    /// The key `docker login` writes for Docker Hub, and the server address Docker sends for it.
    public static let dockerHubConfigKey = "https://index.docker.io/v1/"

    /// The registry host of `repository` (`registry.example.com:5000/team/web` → `registry.example.com:5000`,
    /// `nginx` or `library/nginx` → `docker.io`).
    public static func of(repository: String) -> String {
        guard let slash = repository.firstIndex(of: "/") else { return dockerHub }
        let first = repository[..<slash]
        guard first.contains(".") || first.contains(":") || first == "localhost" else { return dockerHub }
        return canonical(String(first))
    }

    /// A config key or host as a host name to compare: without `http://`/`https://` and any path (as Docker
    /// reads old keys such as `https://registry.example.com/v1/`), lower-case, Docker Hub's aliases as one.
    public static func canonical(_ key: String) -> String {
        var host = Substring(key)
        for scheme in ["https://", "http://"] where host.hasPrefix(scheme) { host = host.dropFirst(scheme.count) }
        if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
        let lowered = host.lowercased()
        return ["index.docker.io", "registry-1.docker.io"].contains(lowered) ? dockerHub : lowered
    }

    /// The `serveraddress` a pull from `host` (canonical) sends, as the Docker CLI does.
    public static func serverAddress(of host: String) -> String {
        host == dockerHub ? dockerHubConfigKey : host
    }
}
