import FleetGit
import Foundation
import GitFleetTesting
import Testing

@Suite("Commit signatures")
struct CommitSignatureTests {
    @Test("an SSH-signed commit yields its armored signature and exactly the bytes git signed")
    func sshSignedCommit() throws {
        let directory = try TemporaryDirectory()
        let key = try SSHSigningKey(in: directory.path, name: "key")
        let fixture = try GitFixture.create(at: directory.appending("fleet"))
        try fixture.write("services/web.yaml", "image: shop/web:1.0\n")
        let signed = try fixture.commitSigned("Deploy web 1.0", with: key)

        let repository = try GitRepository.open(at: fixture.path)
        let id = try #require(CommitID(hex: signed))
        let signature = try #require(try repository.signature(of: id))
        #expect(signature.format == .ssh)
        #expect(signature.armored.hasPrefix("-----BEGIN SSH SIGNATURE-----"))
        #expect(signature.armored.contains("-----END SSH SIGNATURE-----"))
        #expect(String(decoding: signature.payload, as: UTF8.self) == (try Self.unsignedObject(fixture, signed)))
    }

    @Test("an OpenPGP-signed commit is recognised as such")
    func gpgSignedCommit() throws {
        let directory = try TemporaryDirectory()
        let key = try GPGSigningKey(home: directory.appending("gnupg"))
        defer { key.stop() }
        let fixture = try GitFixture.create(at: directory.appending("fleet"))
        let signed = try fixture.commitSigned("Deploy", with: key)

        let repository = try GitRepository.open(at: fixture.path)
        let id = try #require(CommitID(hex: signed))
        let signature = try #require(try repository.signature(of: id))
        #expect(signature.format == .openPGP)
        #expect(String(decoding: signature.payload, as: UTF8.self) == (try Self.unsignedObject(fixture, signed)))
    }

    @Test("an unsigned commit has no signature, and a missing commit is an error, not 'unsigned'")
    func unsignedAndMissing() throws {
        let directory = try TemporaryDirectory()
        let fixture = try GitFixture.create(at: directory.appending("fleet"))
        let unsigned = try fixture.commit("Unsigned")
        let repository = try GitRepository.open(at: fixture.path)
        let id = try #require(CommitID(hex: unsigned))
        #expect(try repository.signature(of: id) == nil)

        let missing = try #require(CommitID(hex: String(repeating: "ab", count: 20)))
        let error = try #require(throws: GitError.self) { try repository.signature(of: missing) }
        #expect(error.code == .notFound)
    }

    /// The raw commit object with its `gpgsig` header (and continuation lines) removed: what git signs.
    static func unsignedObject(_ fixture: GitFixture, _ commit: String) throws -> String {
        let raw = try fixture.git("cat-file", "commit", commit)
        var lines: [Substring] = []
        var inSignature = false
        for line in raw.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("gpgsig ") {
                inSignature = true
                continue
            }
            if inSignature && line.hasPrefix(" ") { continue }
            inSignature = false
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
