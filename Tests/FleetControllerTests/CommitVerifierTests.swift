import FleetController
import FleetGit
import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// Real signed commits made by the git CLI, verified by real `ssh-keygen` and `gpg`.
@Suite("Commit signature verification")
struct CommitVerifierTests {
    /// A fleet repository, an allowed SSH key, a stranger's SSH key and an allowed_signers file naming only the first.
    final class SSHSetup {
        let directory: TemporaryDirectory
        let fixture: GitFixture
        let allowed: SSHSigningKey
        let stranger: SSHSigningKey
        let allowedSigners: String
        let repository: GitRepository

        init() throws {
            directory = try TemporaryDirectory()
            allowed = try SSHSigningKey(in: directory.path, name: "allowed")
            stranger = try SSHSigningKey(in: directory.path, name: "stranger", principal: "mallory@gitfleet.invalid")
            allowedSigners = try SSHSigningKey.writeAllowedSigners(
                [allowed], to: directory.appending("allowed_signers"))
            fixture = try GitFixture.create(at: directory.appending("fleet"))
            repository = try GitRepository.open(at: fixture.path)
        }

        var policy: SignaturePolicy { SignaturePolicy(required: true, allowedSignersFile: allowedSigners) }

        func verdict(_ commit: String, policy: SignaturePolicy? = nil) async throws -> SignatureVerdict {
            let id = try #require(CommitID(hex: commit))
            let signature = try repository.signature(of: id)
            return await CommitVerifier(policy: policy ?? self.policy).verify(id, signature: signature)
        }
    }

    @Test("a commit signed by a key in allowed_signers is trusted, with its principal as signer")
    func sshAllowedSigner() async throws {
        let setup = try SSHSetup()
        let commit = try setup.fixture.commitSigned("Deploy web", with: setup.allowed)
        let verdict = try await setup.verdict(commit)
        #expect(verdict.trusted, "\(verdict)")
        #expect(verdict.method == .ssh)
        #expect(verdict.signer == "tester@gitfleet.invalid")
        #expect(setup.policy.admits(verdict))
        #expect(verdict.annotationSignature == .init(method: "ssh", signer: "tester@gitfleet.invalid"))
    }

    @Test("a commit signed by a key not in allowed_signers is untrusted and the key is named")
    func sshUnknownSigner() async throws {
        let setup = try SSHSetup()
        let commit = try setup.fixture.commitSigned("Sneaky deploy", with: setup.stranger)
        let verdict = try await setup.verdict(commit)
        #expect(!verdict.trusted)
        #expect(verdict.method == .ssh)
        #expect(verdict.signer == setup.stranger.fingerprint)
        #expect(verdict.reason.contains("signed by key \(setup.stranger.fingerprint) which is not in allowed_signers"))
        #expect(!setup.policy.admits(verdict))
        #expect(verdict.annotationSignature == nil)
    }

    @Test("an unsigned commit is untrusted, and admitted only when signatures are not required")
    func unsigned() async throws {
        let setup = try SSHSetup()
        let commit = try setup.fixture.commit("Unsigned deploy")
        let verdict = try await setup.verdict(commit)
        #expect(!verdict.trusted)
        #expect(verdict.method == .none)
        #expect(verdict.reason.contains("commit \(commit.prefix(12)) is not signed"))
        #expect(!setup.policy.admits(verdict))
        #expect(SignaturePolicy(required: false).admits(verdict))
    }

    @Test("a signature over different bytes (a changed commit) is untrusted")
    func sshTampered() async throws {
        let setup = try SSHSetup()
        let commit = try #require(CommitID(hex: try setup.fixture.commitSigned("Deploy 1.0", with: setup.allowed)))
        let genuine = try #require(try setup.repository.signature(of: commit))
        let changed = String(decoding: genuine.payload, as: UTF8.self).replacingOccurrences(of: "1.0", with: "6.6")
        let tampered = CommitSignature(armored: genuine.armored, payload: Array(changed.utf8))
        let verdict = await CommitVerifier(policy: setup.policy).verify(commit, signature: tampered)
        #expect(!verdict.trusted)
        #expect(verdict.method == .ssh)
    }

    @Test("an SSH signature is untrusted when the controller has no allowed_signers file")
    func sshWithoutAllowedSigners() async throws {
        let setup = try SSHSetup()
        let commit = try setup.fixture.commitSigned("Deploy", with: setup.allowed)
        let verdict = try await setup.verdict(commit, policy: SignaturePolicy(required: true))
        #expect(!verdict.trusted)
        #expect(verdict.reason.contains("no allowed_signers file"))
    }

    @Test("a missing ssh-keygen makes the commit untrusted with a reason naming the package")
    func toolMissing() async throws {
        let setup = try SSHSetup()
        let commit = try setup.fixture.commitSigned("Deploy", with: setup.allowed)
        var policy = setup.policy
        policy.sshKeygen = setup.directory.appending("no-such-ssh-keygen")
        let verdict = try await setup.verdict(commit, policy: policy)
        #expect(!verdict.trusted)
        #expect(verdict.reason.contains("is not installed"))
        #expect(verdict.reason.contains("openssh-client"))
    }

    @Test("a tool that hangs is killed after the timeout and the commit is untrusted")
    func toolHangs() async throws {
        let setup = try SSHSetup()
        let commit = try setup.fixture.commitSigned("Deploy", with: setup.allowed)
        let hanging = setup.directory.appending("hanging-ssh-keygen")
        try "#!/bin/sh\nexec sleep 600\n".write(toFile: hanging, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hanging)
        var policy = setup.policy
        policy.sshKeygen = hanging
        policy.toolTimeout = .milliseconds(300)
        let verdict = try await setup.verdict(commit, policy: policy)
        #expect(!verdict.trusted)
        #expect(verdict.reason.contains("was stopped"))
        // The killed tool must not linger: no process is still running the hanging script.
        let running = try GitFixture.run(["ps", "-eo", "args"])
        #expect(!running.contains("sleep 600"))
    }

    @Test("a commit signed with a key in the GnuPG home is trusted, with the key fingerprint as signer")
    func gpgTrusted() async throws {
        let directory = try TemporaryDirectory()
        let key = try GPGSigningKey(home: directory.appending("gnupg"))
        defer { key.stop() }
        let fixture = try GitFixture.create(at: directory.appending("fleet"))
        let commit = try #require(CommitID(hex: try fixture.commitSigned("Deploy web", with: key)))
        let signature = try GitRepository.open(at: fixture.path).signature(of: commit)

        let verdict = await CommitVerifier(policy: SignaturePolicy(required: true, gpgHome: key.home))
            .verify(commit, signature: signature)
        #expect(verdict.trusted, "\(verdict)")
        #expect(verdict.method == .gpg)
        #expect(verdict.signer == key.fingerprint)
        #expect(!key.fingerprint.isEmpty)
    }

    @Test("an OpenPGP signature is untrusted against a keyring without the key, and when changed")
    func gpgUntrusted() async throws {
        let directory = try TemporaryDirectory()
        let key = try GPGSigningKey(home: directory.appending("gnupg"))
        defer { key.stop() }
        let fixture = try GitFixture.create(at: directory.appending("fleet"))
        let commit = try #require(CommitID(hex: try fixture.commitSigned("Deploy 1.0", with: key)))
        let signature = try #require(try GitRepository.open(at: fixture.path).signature(of: commit))

        let emptyHome = try GPGSigningKey.emptyHome(at: directory.appending("empty-gnupg"))
        defer { _ = try? GitFixture.run(["gpgconf", "--homedir", emptyHome, "--kill", "all"]) }
        let stranger = await CommitVerifier(policy: SignaturePolicy(required: true, gpgHome: emptyHome))
            .verify(commit, signature: signature)
        #expect(!stranger.trusted)
        #expect(stranger.method == .gpg)
        #expect(stranger.reason.contains("not in the trusted keyring"), "\(stranger)")
        #expect(key.fingerprint.hasSuffix(try #require(stranger.signer)))

        let changed = String(decoding: signature.payload, as: UTF8.self).replacingOccurrences(of: "1.0", with: "6.6")
        let tampered = await CommitVerifier(policy: SignaturePolicy(required: true, gpgHome: key.home))
            .verify(commit, signature: CommitSignature(armored: signature.armored, payload: Array(changed.utf8)))
        #expect(!tampered.trusted)
        #expect(tampered.reason.contains("BAD OpenPGP signature"), "\(tampered)")

        let unconfigured = await CommitVerifier(policy: SignaturePolicy(required: true))
            .verify(commit, signature: signature)
        #expect(!unconfigured.trusted)
        #expect(unconfigured.reason.contains("no GnuPG home"))
    }
}
