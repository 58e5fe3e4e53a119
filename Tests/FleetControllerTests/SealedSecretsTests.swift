import FleetController
import FleetGit
import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// Secret references resolved against the sealed files of a commit in a real repository, sealed with
/// Debian's age: digests with the identity, presence without it, located errors for what cannot be opened.
@Suite("Sealed secrets in the desired state")
struct SealedSecretsTests {
    static let web = """
        apiVersion: gitfleet/v1
        kind: Service
        metadata: {name: web}
        spec:
          image: shop/web:1.0.0
          env: {DB_PASSWORD: {secret: db-password}}
          secretFiles: [{secret: api-key, path: /run/secrets/api-key}]

        """

    struct Fixture {
        let git: GitFixture
        let identityFile: String
        let recipient: String

        init(_ directory: TemporaryDirectory) throws {
            git = try GitFixture.create(at: directory.appending("fleet"))
            identityFile = directory.appending("controller.key")
            try GitFixture.run(["age-keygen", "-o", identityFile])
            recipient = try GitFixture.run(["age-keygen", "-y", identityFile])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try git.write("services/web.yaml", SealedSecretsTests.web)
        }

        func seal(_ name: String, _ value: String, to recipient: String? = nil) throws {
            let sealed = try GitFixture.run(["age", "-e", "-a", "-r", recipient ?? self.recipient], input: value)
            try git.write("secrets/\(name).age", sealed)
        }

        func source(keyring: Bool = true, required: Bool = false) throws -> DesiredStateSource {
            DesiredStateSource(
                repository: try GitRepository.open(at: git.path),
                keyring: keyring ? try SecretKeyring.load(identityFile: identityFile) : nil, secretsRequired: required)
        }

        func commit(_ message: String) throws -> CommitID {
            try #require(CommitID(hex: try git.commit(message)))
        }
    }

    @Test("with the identity every reference gets its object and a keyed digest; the same value re-sealed keeps it")
    func digests() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try fixture.seal("db-password", "hunter2")
            try fixture.seal("api-key", "k1")
            let first = try fixture.commit("secrets")
            let source = try fixture.source()
            let web = try #require(try source.fleet(at: first).service(named: "web"))
            let password = try #require(web.secretEnv?["DB_PASSWORD"])
            #expect(password.object != nil && password.digest?.count == 64)
            #expect(!(password.digest ?? "").isEmpty && password.digest != web.secretFiles?.first?.secret.digest)
            // The digest is keyed: it is not the plain SHA-256 of the value.
            let plain = try GitFixture.run(["sh", "-c", "printf hunter2 | sha256sum"]).prefix(64)
            #expect(password.digest != String(plain))

            try fixture.seal("db-password", "hunter2")
            let resealed = try fixture.commit("re-seal, same value")
            let again = try #require(try fixture.source().fleet(at: resealed).service(named: "web"))
            #expect(again.secretEnv?["DB_PASSWORD"]?.object != password.object)
            #expect(SpecHash(again) == SpecHash(web), "the same value sealed again is the same spec")

            try fixture.seal("db-password", "rotated")
            let rotated = try fixture.commit("rotate")
            let changed = try #require(try source.fleet(at: rotated).service(named: "web"))
            #expect(SpecHash(changed) != SpecHash(web))
        }
    }

    @Test("without the identity only presence is checked")
    func withoutIdentity() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try fixture.seal(
                "db-password", "hunter2",
                to: try GitFixture.run(["age-keygen"]).split(separator: "\n")
                    .first { $0.hasPrefix("# public key: ") }.map { String($0.dropFirst("# public key: ".count)) })
            try fixture.seal("api-key", "k1")
            let commit = try fixture.commit("secrets")
            let web = try #require(try fixture.source(keyring: false).fleet(at: commit).service(named: "web"))
            #expect(web.secretReferences.allSatisfy { $0.object != nil && $0.digest == nil })
        }
    }

    @Test("a controller without an identity rejects a commit with secrets at each reference: nothing could start")
    func requiredWithoutIdentity() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try fixture.seal("db-password", "hunter2")
            try fixture.seal("api-key", "k1")
            let commit = try fixture.commit("secrets")
            let error = try #require(throws: ManifestError.self) {
                try fixture.source(keyring: false, required: true).fleet(at: commit)
            }
            #expect(error.issues.count == 2)
            #expect(
                error.issues.allSatisfy {
                    $0.location.file == "services/web.yaml" && $0.location.line > 0
                        && $0.message.hasSuffix("cannot be opened: no age identity is configured")
                        && $0.expected?.contains("secretIdentityFile") == true
                })
        }
    }

    @Test("a missing, foreign or corrupt sealed file is an error at the reference, naming no value")
    func errors() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            let stranger = directory.appending("stranger.key")
            try GitFixture.run(["age-keygen", "-o", stranger])
            let strangerRecipient = try GitFixture.run(["age-keygen", "-y", stranger])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try fixture.seal("db-password", "for-someone-else", to: strangerRecipient)
            let foreign = try fixture.commit("db-password for a stranger, api-key missing")
            let error = try #require(throws: ManifestError.self) { try fixture.source().fleet(at: foreign) }
            let lines = error.issues.map(\.description)
            #expect(lines.count == 2, "\(lines)")
            #expect(
                lines.contains {
                    $0.hasPrefix(
                        "services/web.yaml:6:31: secret db-password (secrets/db-password.age) cannot be decrypted")
                }, "\(lines)")
            #expect(
                lines.contains {
                    $0.hasPrefix("services/web.yaml:7:26: secret api-key is missing: no secrets/api-key.age")
                }, "\(lines)")
            #expect(!error.description.contains("for-someone-else"))
            // Without an identity a foreign file is not an error: nobody could tell.
            try fixture.seal("api-key", "k1")
            try fixture.git.write("secrets/db-password.age", "-----BEGIN AGE ENCRYPTED FILE-----\nnot age\n")
            let corrupt = try fixture.commit("corrupt db-password")
            #expect(throws: Never.self) { try fixture.source(keyring: false).fleet(at: corrupt) }
            let corruptError = try #require(throws: ManifestError.self) { try fixture.source().fleet(at: corrupt) }
            #expect(corruptError.issues.map(\.description).first?.contains("cannot be decrypted") == true)
        }
    }

    @Test("an identity file that holds no identity is refused, naming the setting and the file, not its text")
    func badIdentityFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appending("bad.key")
            try "# nothing here\nAGE-SECRET-KEY-1NOTAKEY\n".write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: SecretError.self) { try SecretKeyring.load(identityFile: path) }
            #expect(error.description.hasPrefix("secretIdentityFile: \(path): line 2"), "\(error)")
            #expect(!error.description.contains("NOTAKEY"))
        }
    }
}

/// The converger's side: a spec that refers to secrets when the controller has no identity.
@Suite("Secrets in convergence")
struct SecretConvergenceTests {
    @Test("without an identity an instance of a spec with secrets fails to start, saying why, and nothing runs")
    func noIdentity() async throws {
        let fixture = try ConvergenceFixture()
        do {
            var web = fixture.webService(
                image: try await fixture.image("1.0.0"), replicas: 1, progressDeadline: .seconds(2),
                startTimeout: .seconds(2))
            web.secretEnv = ["DB_PASSWORD": SecretReference(name: "db-password", object: "ab12", digest: "cd34")]
            let report = try await fixture.converger().converge(
                Fleet(name: "test", services: [web]), timeout: .seconds(30))
            #expect(report.first?.phase != .converged)
            let reasons = try await fixture.records().compactMap(\.reason)
            #expect(
                reasons.contains { $0.contains("the spec refers to secrets but no secretIdentityFile is set") },
                "\(reasons)")
            #expect(try await fixture.runtime.inventory().isEmpty)
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}
