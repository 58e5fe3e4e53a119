import Foundation
import GitFleetTesting
import Testing

@testable import FleetGit

@Suite struct KnownHostsTests {
    @Test func sha1AndHMACMatchKnownVectors() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(hex(SHA1.hash(long)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        // RFC 2202 test case 2.
        #expect(
            hex(SHA1.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

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
