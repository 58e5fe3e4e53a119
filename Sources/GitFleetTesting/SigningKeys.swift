import Foundation

/// An ed25519 SSH key made by `ssh-keygen` for signing test commits, with the allowed_signers line that
/// trusts it. Needs `ssh-keygen` on PATH (Debian: openssh-client).
public struct SSHSigningKey: Sendable {
    /// The private key file, usable as git's `user.signingkey`.
    public let privateKeyPath: String
    /// `ssh-ed25519 AAAA…` (without the comment).
    public let publicKey: String
    public let principal: String
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    public let fingerprint: String

    /// Generates a key without a passphrase at `directory/name` (and `.pub`).
    public init(in directory: String, name: String, principal: String = "tester@gitfleet.invalid") throws {
        privateKeyPath = (directory as NSString).appendingPathComponent(name)
        self.principal = principal
        try GitFixture.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", principal, "-f", privateKeyPath])
        let publicLine = try String(contentsOfFile: privateKeyPath + ".pub", encoding: .utf8)
        publicKey = publicLine.split(separator: " ").prefix(2).joined(separator: " ")
        let listed = try GitFixture.run(["ssh-keygen", "-l", "-f", privateKeyPath + ".pub"])
        fingerprint = listed.split(separator: " ").dropFirst().first.map(String.init) ?? ""
    }

    /// The allowed_signers line that lets this key sign commits as `principal`.
    public var allowedSignersLine: String {
        "\(principal) namespaces=\"git\" \(publicKey)"
    }

    /// Writes an allowed_signers file trusting `keys` and returns its path.
    public static func writeAllowedSigners(_ keys: [SSHSigningKey], to path: String) throws -> String {
        try (keys.map(\.allowedSignersLine).joined(separator: "\n") + "\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// An OpenPGP signing key in its own GnuPG home, made non-interactively by `gpg`, plus a `gpg` wrapper that
/// git can use as `gpg.program` to sign with it. Needs `gpg` and `gpgconf` on PATH (Debian: gnupg).
///
/// `stop()` (or releasing the value) stops the gpg-agent that signing starts, so no daemon outlives the test.
public final class GPGSigningKey: Sendable {
    public let home: String
    /// The primary key's fingerprint (40 hex digits, upper case as gpg prints it).
    public let fingerprint: String
    /// An executable that runs `gpg --homedir home`, for git's `gpg.program`.
    public let program: String

    /// Creates `home` (mode 0700) and an ed25519 signing key without a passphrase for `userID` in it.
    public init(home: String, userID: String = "Tester <tester@gitfleet.invalid>") throws {
        self.home = home
        try FileManager.default.createDirectory(
            atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let gpg = ["gpg", "--homedir", home, "--batch"]
        try GitFixture.run(
            gpg + [
                "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", userID, "ed25519", "sign",
                "never",
            ])
        let listing = try GitFixture.run(gpg + ["--with-colons", "--list-secret-keys"])
        fingerprint =
            listing.split(separator: "\n").first { $0.hasPrefix("fpr:") }
            .map { $0.split(separator: ":", omittingEmptySubsequences: false)[9] }.map(String.init) ?? ""
        program = home + ".gpg"
        try "#!/bin/sh\nexec gpg --homedir '\(home)' \"$@\"\n".write(toFile: program, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program)
    }

    deinit {
        stop()
    }

    /// Stops the gpg-agent (and any other daemon) serving this home. Safe to call more than once.
    public func stop() {
        _ = try? GitFixture.run(["gpgconf", "--homedir", home, "--kill", "all"])
    }

    /// Creates an empty GnuPG home (mode 0700): a keyring that trusts nobody.
    public static func emptyHome(at path: String) throws -> String {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return path
    }
}

extension GitFixture {
    /// Commits what is staged, signed with `key` in SSH format, and returns the commit id.
    @discardableResult
    public func commitSigned(_ message: String, with key: SSHSigningKey) throws -> String {
        try git(
            "-c", "gpg.format=ssh", "-c", "user.signingkey=\(key.privateKeyPath)", "commit", "-q", "--allow-empty",
            "-S", "-m", message)
        return try revParse("HEAD")
    }

    /// Commits what is staged, signed with `key` in OpenPGP format, and returns the commit id.
    @discardableResult
    public func commitSigned(_ message: String, with key: GPGSigningKey) throws -> String {
        try git(
            "-c", "gpg.format=openpgp", "-c", "gpg.program=\(key.program)", "-c", "user.signingkey=\(key.fingerprint)",
            "commit", "-q", "--allow-empty", "-S", "-m", message)
        return try revParse("HEAD")
    }
}
