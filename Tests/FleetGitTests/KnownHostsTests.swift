import Foundation
import GitFleetTesting
import Testing

@_spi(Fuzzing) @testable import FleetGit

@Suite struct KnownHostsTests {
    private static let keyA = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    private static let keyB = "AAAAC3NzaC1lZDI1NTE5AAAAIBxR3A6s0u0rE1aD5bgq0Ckbdl4zI0U5o0p6mJ9c1Tmz"
    private var blobA: [UInt8] { Array(Data(base64Encoded: Self.keyA)!) }
    private var blobB: [UInt8] { Array(Data(base64Encoded: Self.keyB)!) }

    @Test func matchesPlainPortedWildcardAndNegatedEntries() {
        let knownHosts = KnownHosts(
            contents: """
                # comment
                git.example.com,10.0.0.5 ssh-ed25519 \(Self.keyA)
                [git.example.com]:2222 ssh-ed25519 \(Self.keyB) tester
                *.fleet.test,!evil.fleet.test ssh-ed25519 \(Self.keyA)
                @cert-authority *.ca.test ssh-ed25519 \(Self.keyA)
                """)
        #expect(knownHosts.verdict(host: "git.example.com", port: 22, key: blobA) == .trusted)
        #expect(knownHosts.verdict(host: "GIT.example.com", port: 22, key: blobA) == .trusted)
        #expect(knownHosts.verdict(host: "10.0.0.5", port: 22, key: blobA) == .trusted)
        #expect(knownHosts.verdict(host: "git.example.com", port: 22, key: blobB) == .mismatch)
        #expect(knownHosts.verdict(host: "git.example.com", port: 2222, key: blobB) == .trusted)
        #expect(knownHosts.verdict(host: "git.example.com", port: 2222, key: blobA) == .mismatch)
        #expect(knownHosts.verdict(host: "a.fleet.test", port: 22, key: blobA) == .trusted)
        #expect(knownHosts.verdict(host: "evil.fleet.test", port: 22, key: blobA) == .unknown)
        #expect(knownHosts.verdict(host: "x.ca.test", port: 22, key: blobA) == .unknown)
        #expect(knownHosts.verdict(host: "other.example.com", port: 22, key: blobA) == .unknown)
    }

    @Test func revokedKeysAreRejectedEvenWhenListed() {
        let knownHosts = KnownHosts(
            contents: """
                git.example.com ssh-ed25519 \(Self.keyA)
                @revoked * ssh-ed25519 \(Self.keyA)
                """)
        #expect(knownHosts.verdict(host: "git.example.com", port: 22, key: blobA) == .revoked)
    }

    @Test func matchesEntriesHashedByOpenSSH() throws {
        let directory = try TemporaryDirectory()
        let path = directory.appending("known_hosts")
        try """
        git.example.com ssh-ed25519 \(Self.keyA)
        [127.0.0.1]:2222 ssh-ed25519 \(Self.keyB)

        """.write(toFile: path, atomically: true, encoding: .utf8)
        try GitFixture.run(["ssh-keygen", "-H", "-f", path])
        let hashed = try String(contentsOfFile: path, encoding: .utf8)
        #expect(hashed.contains("|1|"))
        #expect(!hashed.contains("git.example.com"))

        let knownHosts = try KnownHosts(contentsOfFile: path)
        #expect(knownHosts.verdict(host: "git.example.com", port: 22, key: blobA) == .trusted)
        #expect(knownHosts.verdict(host: "127.0.0.1", port: 2222, key: blobB) == .trusted)
        #expect(knownHosts.verdict(host: "127.0.0.1", port: 22, key: blobB) == .unknown)
        #expect(knownHosts.verdict(host: "git.example.org", port: 22, key: blobA) == .unknown)
    }

    @Test(arguments: [
        ("ssh://git@127.0.0.1:2222/srv/fleet.git", "127.0.0.1", 2222),
        ("ssh://example.com/fleet.git", "example.com", 22),
        ("git@github.com:shop/fleet.git", "github.com", 22),
        ("ssh://git@[::1]:2200/fleet.git", "::1", 2200),
    ])
    func parsesSSHEndpoints(url: String, host: String, port: Int) {
        #expect(SSHEndpoint(url: url) == SSHEndpoint(host: host, port: port))
    }
}

extension SSHEndpoint {
    init(host: String, port: Int) {
        self.init(url: "ssh://\(host.contains(":") ? "[\(host)]" : host):\(port)/")!
    }
}
