import Foundation
import GitFleetTesting
import Testing

@testable import FleetGit

/// A real OpenSSH server on a loopback port with its own host key, serving a bare repository to a client key.
private struct SSHServer {
    let directory: TemporaryDirectory
    let child: ChildProcess
    let port: Int
    let hostPublicKey: String
    let clientKey: String
    let remote: GitFixture
    let commit: String

    var url: String { "ssh://root@127.0.0.1:\(port)\(remote.path)" }

    init() throws {
        directory = try TemporaryDirectory(prefix: "gitfleet-ssh")
        let hostKey = directory.appending("host_key")
        clientKey = directory.appending("client_key")
        for key in [hostKey, clientKey] {
            try GitFixture.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
        }
        hostPublicKey = try String(contentsOfFile: hostKey + ".pub", encoding: .utf8)
        try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: directory.appending("authorized_keys"))
        // sshd refuses to start without its privilege separation directory.
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)

        port = try Int(
            GitFixture.run([
                "python3", "-c",
                "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
            ]).trimmingCharacters(in: .whitespacesAndNewlines))!
        let config = directory.appending("sshd_config")
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(hostKey)
        PidFile \(directory.appending("sshd.pid"))
        AuthorizedKeysFile \(directory.appending("authorized_keys"))
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        StrictModes no
        PermitRootLogin prohibit-password

        """.write(toFile: config, atomically: true, encoding: .utf8)
        child = try ChildProcess(["/usr/sbin/sshd", "-D", "-f", config])

        remote = try GitFixture.createBare(at: directory.appending("remote.git"))
        let work = try GitFixture.create(at: directory.appending("work"))
        try work.write("services/web.yaml", "image: shop/web:1.0\n")
        commit = try work.commit("Add web")
        try work.addRemote("origin", url: remote.fileURL)
        try work.push("origin", "main")

        try waitUntilListening()
    }

    /// Polls with ssh-keyscan until sshd answers; the deadline is generous for a loaded machine.
    private func waitUntilListening() throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let scan = try? GitFixture.run(["ssh-keyscan", "-T", "2", "-p", "\(port)", "127.0.0.1"]),
                scan.contains("ssh-ed25519")
            {
                return
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw CommandFailure(command: ["sshd"], status: -1, standardError: "sshd did not start listening on \(port)")
    }

    /// A known_hosts file trusting `key` (a public key line, "type base64 [comment]") for this server.
    func knownHosts(named name: String, trusting key: String?) throws -> String {
        let path = directory.appending(name)
        var contents = ""
        if let key {
            let fields = key.split(separator: " ")
            contents = "[127.0.0.1]:\(port) \(fields[0]) \(fields[1])\n"
        }
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func credentials(knownHosts: String, privateKey: String? = nil, maxAttempts: Int = 3) -> GitCredentials {
        .sshKey(
            .init(privateKeyPath: privateKey ?? clientKey, knownHostsPath: knownHosts), maxAttempts: maxAttempts)
    }
}

@Suite(.serialized) struct GitSSHTests {
    @Test func clonesAndLooksUpHeadsOverSSHWhenTheHostKeyIsKnown() throws {
        let server = try SSHServer()
        defer { server.child.stop() }
        let credentials = server.credentials(
            knownHosts: try server.knownHosts(named: "known_hosts", trusting: server.hostPublicKey))

        let cache = try GitRepository.openOrClone(
            url: server.url, cacheRoot: server.directory.appending("cache"), credentials: credentials)
        #expect(try cache.resolve("main").hex == server.commit)
        try cache.fetch()
        #expect(
            try GitRemoteHead.lookup(url: server.url, branch: "main", credentials: credentials)?.hex == server.commit)
    }

    @Test func trustsHashedKnownHostsEntries() throws {
        let server = try SSHServer()
        defer { server.child.stop() }
        let knownHosts = try server.knownHosts(named: "known_hosts", trusting: server.hostPublicKey)
        try GitFixture.run(["ssh-keygen", "-H", "-f", knownHosts])
        #expect(try !String(contentsOfFile: knownHosts, encoding: .utf8).contains("127.0.0.1"))
        let head = try GitRemoteHead.lookup(
            url: server.url, branch: "main", credentials: server.credentials(knownHosts: knownHosts))
        #expect(head?.hex == server.commit)
    }

    @Test func refusesAnUnknownOrChangedHostKey() throws {
        let server = try SSHServer()
        defer { server.child.stop() }
        let empty = try server.knownHosts(named: "empty_known_hosts", trusting: nil)
        let unknown = try #require(throws: GitError.self) {
            try GitRepository.openOrClone(
                url: server.url, cacheRoot: server.directory.appending("cache"),
                credentials: server.credentials(knownHosts: empty))
        }
        #expect(unknown.code == .certificate)
        #expect(unknown.message.contains("not in"))

        let otherKey = try String(contentsOfFile: server.clientKey + ".pub", encoding: .utf8)
        let changed = try #require(throws: GitError.self) {
            try GitRemoteHead.lookup(
                url: server.url, branch: "main",
                credentials: server.credentials(knownHosts: try server.knownHosts(named: "other", trusting: otherKey)))
        }
        #expect(changed.code == .certificate)
        #expect(changed.message.contains("does not match"))

        let anonymous = try #require(throws: GitError.self) {
            try GitRemoteHead.lookup(url: server.url, branch: "main", credentials: .none)
        }
        #expect(anonymous.code == .certificate)
    }

    @Test func aRejectedKeyGivesUpWithAnAuthError() throws {
        let server = try SSHServer()
        defer { server.child.stop() }
        let strangerKey = server.directory.appending("stranger_key")
        try GitFixture.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", strangerKey])
        let knownHosts = try server.knownHosts(named: "known_hosts", trusting: server.hostPublicKey)
        let error = try #require(throws: GitError.self) {
            try GitRemoteHead.lookup(
                url: server.url, branch: "main",
                credentials: server.credentials(knownHosts: knownHosts, privateKey: strangerKey, maxAttempts: 2))
        }
        #expect(error.code == .auth)
        #expect(error.message.contains("2 times"))
    }
}
