import Foundation

/// Where one Docker Engine API answers: a unix socket on this machine, or a TCP address (optionally TLS).
///
/// Written as `unix:///run/docker.sock`, `tcp://10.0.0.5:2375` or `https://10.0.0.5:2376`; `tcp://` turns into
/// TLS when the runtime is given TLS files, as the Docker CLI does with `DOCKER_TLS_VERIFY`.
public struct DockerEndpoint: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case unixSocket(path: String)
        case tcp(host: String, port: Int)
    }

    public var kind: Kind
    public var useTLS: Bool

    public init(kind: Kind, useTLS: Bool = false) {
        self.kind = kind
        self.useTLS = useTLS
    }

    /// Parses one endpoint as written in `dockerHosts`; throws saying which forms are accepted.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func invalid(_ why: String) -> RuntimeError {
            RuntimeError(
                .invalidLaunch,
                "docker host '\(text)' \(why); write unix:///path/to/docker.sock, tcp://host:port or https://host:port"
            )
        }
        if trimmed.hasPrefix("unix://") {
            let path = String(trimmed.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw invalid("needs an absolute socket path") }
            self.init(kind: .unixSocket(path: path))
            return
        }
        let useTLS: Bool
        let rest: Substring
        if trimmed.hasPrefix("tcp://") {
            (useTLS, rest) = (false, trimmed.dropFirst("tcp://".count))
        } else if trimmed.hasPrefix("https://") {
            (useTLS, rest) = (true, trimmed.dropFirst("https://".count))
        } else if trimmed.hasPrefix("http://") {
            (useTLS, rest) = (false, trimmed.dropFirst("http://".count))
        } else {
            throw invalid("has no known scheme")
        }
        let authority = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]),
            (1...65535).contains(port), colon != authority.startIndex
        else { throw invalid("needs a host and a port") }
        var host = String(authority[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(kind: .tcp(host: host, port: port), useTLS: useTLS)
    }

    /// Parses a comma-separated list, as the `dockerHosts` setting holds it.
    public static func parseList(_ text: String) throws -> [DockerEndpoint] {
        try text.split(separator: ",").map { try DockerEndpoint(parsing: String($0)) }
    }

    /// The host clients of an instance on this engine reach its ports on.
    public var instanceAddress: String {
        switch kind {
        case .unixSocket: return "127.0.0.1"
        case .tcp(let host, _): return host
        }
    }

    public var isLocal: Bool {
        if case .unixSocket = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .unixSocket(let path): return "unix://\(path)"
        case .tcp(let host, let port):
            let shown = host.contains(":") ? "[\(host)]" : host
            return "\(useTLS ? "https" : "tcp")://\(shown):\(port)"
        }
    }
}
