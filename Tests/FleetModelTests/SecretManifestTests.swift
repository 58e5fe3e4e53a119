import FleetModel
import Foundation
import Testing

/// How manifests refer to sealed secrets, and what of them the spec hash covers.
@Suite struct SecretManifestTests {
    static func web(_ spec: String) -> String {
        ManifestFixtures.service("web", spec: "  image: shop/web:1.5.0\n" + spec)
    }

    static func spec(_ text: String) throws -> ServiceSpec {
        let fleet = try ManifestFixtures.decode([("services/web.yaml", web(text))]).get()
        return try #require(fleet.service(named: "web"))
    }

    @Test func envTakesPlainValuesAndSecretReferencesSideBySide() throws {
        let spec = try Self.spec(
            """
              env: {LOG_LEVEL: info, DB_PASSWORD: {secret: db-password}}
              secretFiles:
                - {secret: tls-key, path: /run/secrets/tls.key}
            """)
        #expect(spec.env == ["LOG_LEVEL": "info"])
        let reference = try #require(spec.secretEnv?["DB_PASSWORD"])
        #expect(reference.name == "db-password" && reference.object == nil && reference.digest == nil)
        // Located at the name, so an error about the sealed file points at the reference.
        #expect(reference.location == SourceLocation(file: "services/web.yaml", line: 7, column: 48))
        #expect(spec.secretFiles?.map(\.path) == ["/run/secrets/tls.key"])
        #expect(spec.secretReferences.map(\.name) == ["db-password", "tls-key"])
    }

    @Test func aSpecWithoutSecretsHasNoneAndEncodesAsBefore() throws {
        let spec = try Self.spec("  env: {A: \"1\"}")
        #expect(spec.secretEnv == nil && spec.secretFiles == nil)
        let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        #expect(!json.contains("secret"))
        // A spec stored before secrets existed still decodes.
        #expect(try JSONDecoder().decode(ServiceSpec.self, from: JSONEncoder().encode(spec)) == spec)
    }

    @Test(arguments: [
        (
            "  env: {DB: {secret: ../x}}",
            "services/web.yaml:7:22: spec.env.DB.secret: '../x' is not a valid secret name"
        ),
        (
            "  env: {DB: {secrte: db}}",
            "services/web.yaml:7:14: spec.env.DB.secrte: unknown field 'secrte'; did you mean 'secret'?"
        ),
        (
            "  secretFiles: [{secret: db, path: run/db}]",
            "services/web.yaml:7:36: spec.secretFiles[0].path: 'run/db' is not an absolute file path"
        ),
        (
            "  secretFiles: [{secret: db, path: /a/../b}]",
            "services/web.yaml:7:36: spec.secretFiles[0].path: '/a/../b' is not an absolute file path"
        ),
        (
            "  secretFiles: [{secret: db}]",
            "services/web.yaml:7:17: spec.secretFiles[0].path: the required field 'path' is missing"
        ),
        (
            "  secretFiles: {secret: db}",
            "services/web.yaml:7:16: spec.secretFiles: found a mapping"
        ),
    ])
    func badReferencesAreLocated(text: String, issue: String) {
        let issues = ManifestFixtures.issues([("services/web.yaml", Self.web(text))])
        #expect(issues.contains { $0.hasPrefix(issue) }, "\(issues)")
    }

    @Test func theFleetListsItsRecipients() throws {
        let recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
        var decoder = ManifestDecoder()
        let parsed = decoder.parse(
            ManifestFile(
                path: "fleet.yaml",
                text: "apiVersion: gitfleet/v1\nkind: Fleet\nmetadata: {name: shop}\nspec: {recipients: [\(recipient)]}"
            ),
            role: .fleet)
        #expect(parsed.issues.isEmpty && parsed.secretRecipients == [recipient])
        let wrong = decoder.parse(
            ManifestFile(
                path: "fleet.yaml",
                text: "apiVersion: gitfleet/v1\nkind: Fleet\nmetadata: {name: shop}\nspec: {recipients: [ssh-rsa]}"),
            role: .fleet)
        #expect(
            wrong.issues.map(\.description)
                == [
                    "fleet.yaml:4:21: spec.recipients[0]: 'ssh-rsa' is not an age recipient (expected a list of age recipients such as age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p)"
                ])
    }

    @Test func theHashCoversNameAndDigestAndNeverChangesForSpecsWithoutSecrets() throws {
        // The pinned hash of a spec without secrets is SpecHashTests.isStableAndPinned's; here: secrets count.
        var spec = try Self.spec("  env: {DB: {secret: db-password}}")
        let unresolved = SpecHash(spec)
        spec.updateSecretReferences {
            $0.object = "a1"
            $0.digest = "d1"
        }
        let first = SpecHash(spec)
        #expect(first != unresolved)
        #expect(SpecHash.canonicalJSON(spec).hasSuffix(#""secretEnv":{"DB":{"digest":"d1","secret":"db-password"}}}"#))
        // Re-sealed with the same value: another object, the same digest, the same hash.
        spec.updateSecretReferences { $0.object = "b2" }
        #expect(SpecHash(spec) == first)
        spec.updateSecretReferences { $0.digest = "d2" }
        #expect(SpecHash(spec) != first)
        // Without a digest (read without an identity) the object stands in.
        spec.updateSecretReferences { $0.digest = nil }
        #expect(SpecHash.canonicalJSON(spec).contains(#""object":"b2""#))
    }

    @Test func secretFilesAreHashedWithTheirPath() throws {
        var spec = try Self.spec("  secretFiles: [{secret: db, path: /run/db}]")
        spec.updateSecretReferences { $0.digest = "d1" }
        #expect(
            SpecHash.canonicalJSON(spec).hasSuffix(#""secretFiles":[{"digest":"d1","path":"/run/db","secret":"db"}]}"#))
        let before = SpecHash(spec)
        spec.secretFiles![0].path = "/run/other"
        #expect(SpecHash(spec) != before)
    }
}
