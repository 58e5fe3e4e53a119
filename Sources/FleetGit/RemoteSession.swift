import CLibgit2
import Foundation

/// The state libgit2's remote callbacks share during one connection: the credentials, how many times they
/// were offered, and why the connection was refused, so the caller can report an auth or host-key failure
/// precisely rather than libgit2's generic message.
///
/// Passed to the C callbacks as an unmanaged payload pointer; `withCallbacks` keeps it alive for the call.
final class RemoteSession {
    let url: String
    let credentials: GitCredentials
    private(set) var credentialAttempts = 0
    private var usernameAttempts = 0
    /// The reason a callback refused to continue, if one did.
    var failure: GitError?
    /// The refs a push could not update, with the remote's reason. libgit2 reports a ref the remote refused
    /// (a hook, or a ref that moved during the push) only through a callback, not as an error return.
    private(set) var rejectedReferences: [String: String] = [:]

    init(url: String, credentials: GitCredentials) {
        self.url = url
        self.credentials = credentials
    }

    /// Runs `body` with remote callbacks wired to this session.
    func withCallbacks<T>(_ body: (inout git_remote_callbacks) throws -> T) rethrows -> T {
        var callbacks = git_remote_callbacks()
        git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION))
        callbacks.credentials = { out, url, usernameFromURL, allowedTypes, payload in
            let session = Unmanaged<RemoteSession>.fromOpaque(payload!).takeUnretainedValue()
            return session.acquireCredential(
                out, usernameFromURL: usernameFromURL.map { String(cString: $0) }, allowedTypes: allowedTypes)
        }
        callbacks.certificate_check = { certificate, valid, host, payload in
            let session = Unmanaged<RemoteSession>.fromOpaque(payload!).takeUnretainedValue()
            return session.checkCertificate(certificate, valid: valid != 0, host: host.map { String(cString: $0) })
        }
        callbacks.push_update_reference = { reference, status, payload in
            let session = Unmanaged<RemoteSession>.fromOpaque(payload!).takeUnretainedValue()
            if let reference, let status {
                session.rejectedReferences[String(cString: reference)] = String(cString: status)
            }
            return 0
        }
        let unmanaged = Unmanaged.passRetained(self)
        defer { unmanaged.release() }
        callbacks.payload = unmanaged.toOpaque()
        return try body(&callbacks)
    }

    /// The error for a failed libgit2 call on this connection: the callback's own reason when it refused,
    /// otherwise libgit2's.
    func error(for result: Int32, operation: String) -> GitError {
        var underlying = GitError.libgit2(result, operation: operation)
        // libgit2 reports a refused or dropped connection as an OS error; on a remote it is a network failure.
        if underlying.code == .other && underlying.libgit2Class == Int32(GIT_ERROR_OS.rawValue) {
            underlying.code = .network
        }
        guard var failure else { return underlying }
        failure.operation = operation
        failure.libgit2Class = underlying.libgit2Class
        failure.libgit2Code = underlying.libgit2Code
        return failure
    }

    func check(_ result: Int32, _ operation: @autoclosure () -> String) throws {
        if result < 0 {
            throw error(for: result, operation: operation())
        }
    }

    // MARK: Credentials

    private func refuse(_ code: GitError.Code, _ message: String, returning result: git_error_code) -> Int32 {
        failure = GitError(code, operation: "connect to \(url)", message: message)
        git_error_set_str(Int32(GIT_ERROR_CALLBACK.rawValue), message)
        return result.rawValue
    }

    private func acquireCredential(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, usernameFromURL: String?,
        allowedTypes: UInt32
    ) -> Int32 {
        let allows = { (type: git_credential_t) in allowedTypes & type.rawValue != 0 }
        let maxAttempts = credentials.maxAttempts
        switch credentials.method {
        case .none:
            return refuse(
                .auth, "\(url) requires authentication but no credentials are configured", returning: GIT_EAUTH)

        case .httpsToken(let username, let source):
            guard allows(GIT_CREDENTIAL_USERPASS_PLAINTEXT) else {
                return refuse(
                    .auth, "\(url) does not accept a token (it asked for another method)", returning: GIT_EAUTH)
            }
            credentialAttempts += 1
            guard credentialAttempts <= maxAttempts else {
                return refuse(
                    .auth, "\(url) rejected the token \(maxAttempts) times; gave up (check the token and its scopes)",
                    returning: GIT_EAUTH)
            }
            let token: String
            switch source {
            case .literal(let value):
                token = value
            case .file(let path):
                guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                    return refuse(.auth, "cannot read the token file \(path)", returning: GIT_EAUTH)
                }
                token = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return git_credential_userpass_plaintext_new(out, username, token)

        case .sshKey(let key):
            let user = usernameFromURL ?? key.username ?? "git"
            if allows(GIT_CREDENTIAL_USERNAME) && !allows(GIT_CREDENTIAL_SSH_KEY) {
                usernameAttempts += 1
                guard usernameAttempts <= maxAttempts else {
                    return refuse(.auth, "\(url) kept asking for a user name; gave up", returning: GIT_EAUTH)
                }
                return git_credential_username_new(out, user)
            }
            guard allows(GIT_CREDENTIAL_SSH_KEY) else {
                return refuse(.auth, "\(url) does not accept SSH keys", returning: GIT_EAUTH)
            }
            credentialAttempts += 1
            guard credentialAttempts <= maxAttempts else {
                return refuse(
                    .auth,
                    "\(url) rejected the SSH key \(key.privateKeyPath) for user '\(user)' \(maxAttempts) times; gave up",
                    returning: GIT_EAUTH)
            }
            return git_credential_ssh_key_new(out, user, key.publicKeyPath, key.privateKeyPath, key.passphrase)
        }
    }

    // MARK: Host verification

    private func checkCertificate(_ certificate: UnsafeMutablePointer<git_cert>?, valid: Bool, host: String?) -> Int32 {
        guard let certificate else {
            return refuse(.certificate, "\(url) presented no certificate", returning: GIT_ECERTIFICATE)
        }
        guard certificate.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            // TLS: libgit2 has already checked the chain against the system trust store.
            if valid { return 0 }
            return refuse(
                .certificate, "the TLS certificate of \(host ?? url) is not trusted by this system",
                returning: GIT_ECERTIFICATE)
        }
        let hostKey = UnsafeMutableRawPointer(certificate).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        guard case .sshKey(let sshKey) = credentials.method else {
            return refuse(
                .certificate, "cannot verify the SSH host key of \(url): no known_hosts file is configured",
                returning: GIT_ECERTIFICATE)
        }
        guard hostKey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostKey.hostkey else {
            return refuse(
                .certificate, "libgit2 did not provide the raw SSH host key of \(url)", returning: GIT_ECERTIFICATE)
        }
        let key = Array(UnsafeRawBufferPointer(start: raw, count: hostKey.hostkey_len))
        let knownHosts: KnownHosts
        do {
            knownHosts = try KnownHosts(contentsOfFile: sshKey.knownHostsPath)
        } catch {
            return refuse(
                .certificate, "cannot read known_hosts file \(sshKey.knownHostsPath): \(error)",
                returning: GIT_ECERTIFICATE)
        }
        let endpoint = SSHEndpoint(url: url)
        let hostName = endpoint?.host ?? host ?? ""
        let port = endpoint?.port ?? 22
        let shown = port == 22 ? hostName : "[\(hostName)]:\(port)"
        switch knownHosts.verdict(host: hostName, port: port, key: key) {
        case .trusted:
            return 0
        case .unknown:
            return refuse(
                .certificate,
                "the SSH host key of \(shown) is not in \(sshKey.knownHostsPath); add it to trust the host",
                returning: GIT_ECERTIFICATE)
        case .mismatch:
            return refuse(
                .certificate,
                "the SSH host key of \(shown) does not match \(sshKey.knownHostsPath): the key changed or the "
                    + "connection is intercepted",
                returning: GIT_ECERTIFICATE)
        case .revoked:
            return refuse(.certificate, "the SSH host key of \(shown) is revoked", returning: GIT_ECERTIFICATE)
        }
    }
}

/// The host and port of an SSH remote URL, in either `ssh://[user@]host[:port]/path` or scp-like
/// `[user@]host:path` form.
struct SSHEndpoint: Equatable {
    var host: String
    var port: Int

    init?(url: String) {
        if url.contains("://") {
            guard let components = URLComponents(string: url), let scheme = components.scheme,
                scheme == "ssh" || scheme == "git+ssh" || scheme == "ssh+git", let host = components.host
            else { return nil }
            self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            port = components.port ?? 22
        } else {
            guard let colon = url.firstIndex(of: ":") else { return nil }
            var host = url[..<colon]
            if let at = host.lastIndex(of: "@") {
                host = host[host.index(after: at)...]
            }
            self.host = String(host)
            port = 22
        }
    }
}
