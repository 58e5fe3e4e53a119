/// How to authenticate to a remote, and how hard to try.
///
/// A value, so it can travel between tasks; secrets in files are read when the remote asks for them, so a
/// rotated token file is picked up by the next fetch.
public struct GitCredentials: Sendable, Hashable {
    /// Where an HTTPS token comes from.
    public enum TokenSource: Sendable, Hashable {
        case literal(String)
        /// A file holding the token; surrounding white space and newlines are ignored.
        case file(path: String)
    }

    /// An SSH private key and the known_hosts file that decides which hosts to trust.
    public struct SSHKey: Sendable, Hashable {
        public var privateKeyPath: String
        public var publicKeyPath: String?
        public var passphrase: String?
        /// Host keys are accepted only when listed here (plain, `[host]:port` and hashed `|1|` entries).
        public var knownHostsPath: String
        /// Used when the URL names no user; defaults to "git".
        public var username: String?

        public init(
            privateKeyPath: String, publicKeyPath: String? = nil, passphrase: String? = nil, knownHostsPath: String,
            username: String? = nil
        ) {
            self.privateKeyPath = privateKeyPath
            self.publicKeyPath = publicKeyPath
            self.passphrase = passphrase
            self.knownHostsPath = knownHostsPath
            self.username = username
        }
    }

    public enum Method: Sendable, Hashable {
        /// Anonymous access (file://, public HTTPS). An SSH host is never trusted without a known_hosts file.
        case none
        /// HTTP basic auth with a token as the password, as GitHub, GitLab and Gitea accept.
        case httpsToken(username: String, token: TokenSource)
        case sshKey(SSHKey)
    }

    public var method: Method
    /// How many times credentials are offered before giving up with `.auth`; libgit2 asks again after each
    /// rejection, so without a bound a wrong token would be retried forever.
    public var maxAttempts: Int

    public init(_ method: Method, maxAttempts: Int = 3) {
        self.method = method
        self.maxAttempts = max(1, maxAttempts)
    }

    public static let none = GitCredentials(.none)

    public static func httpsToken(
        _ token: TokenSource, username: String = "x-access-token", maxAttempts: Int = 3
    ) -> GitCredentials {
        GitCredentials(.httpsToken(username: username, token: token), maxAttempts: maxAttempts)
    }

    public static func sshKey(_ key: SSHKey, maxAttempts: Int = 3) -> GitCredentials {
        GitCredentials(.sshKey(key), maxAttempts: maxAttempts)
    }
}
