import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// Pulls from a real private registry (Debian's docker-registry with htpasswd authentication, on loopback)
/// through the private Podman's Docker Engine API, with the credentials of a Docker config file.
@Suite("Docker runtime pulls from a private registry", .serialized)
struct PrivateRegistryTests {
    static let password = "correct horse:battery/staple"

    /// A Docker runtime on the engine of `image` whose pulls read `configFile` (none when nil).
    static func runtime(_ image: PrivateDemoImage, configFile: String?) throws -> DockerRuntime {
        try DockerRuntime(
            endpoints: [image.engine.endpoint],
            options: .init(
                scope: "private-registry", evidenceDirectory: image.engine.directory.appending("evidence"),
                registryConfig: configFile.map(DockerConfigFile.init(path:))))
    }

    @Test("With the config file's credentials the tag is pulled, resolves to the pushed digest and the instance runs")
    func pullsWithCredentials() async throws {
        let image = try await PrivateDemoImage(password: Self.password)
        defer { image.tearDown() }
        let config = image.engine.directory.appending("config.json")
        try image.writeConfig(to: config, password: Self.password)
        let runtime = try Self.runtime(image, configFile: config)
        let pinned = try await runtime.resolve(image.reference)
        #expect(pinned.digest == image.pushedID, "the tag resolves to the content pushed")
        #expect(pinned.repository == image.reference.repository && pinned.tag == "1.0")
        let started = try await runtime.start(
            InstanceLaunch(
                instanceID: "web-private", service: "web",
                specHash: SpecHash(rawValue: String(repeating: "ab", count: 32)),
                image: pinned, command: ["/bin/gitfleet-demo", "--port", "$(PORT)"], ports: ["http": 0]))
        let answer = try await RuntimeConformance(makeFixture: DockerFixtures.dockerRuntimeFixture)
            .waitForHTTP(started, path: "/")
        #expect(answer.status == 200 && answer.body.contains("\"instance\": \"web-private\""), "\(answer.body)")
        _ = try await runtime.stop(instanceID: "web-private", gracePeriod: .seconds(5))
        try await runtime.destroy(instanceID: "web-private", keepLogs: false)
        await runtime.close()
    }

    @Test(
        "Without credentials, with wrong ones or with none for this registry, the pull is refused naming the registry")
    func refusedCredentials() async throws {
        let image = try await PrivateDemoImage(password: Self.password)
        defer { image.tearDown() }
        let registry = image.registry.address
        let wrong = image.engine.directory.appending("config.json")
        try image.writeConfig(to: wrong, password: "not-the-password")
        let elsewhere = image.engine.directory.appending("elsewhere.json")
        try PrivateDemoImage.writeConfig(
            to: elsewhere, host: "registry.example.com", username: "someone", password: Self.password)
        let cases: [(file: String?, says: String)] = [
            (nil, "refused a pull without credentials (no dockerConfigFile is set)"),
            (elsewhere, "refused a pull without credentials (dockerConfigFile \(elsewhere) holds none for it)"),
            (wrong, "refused the credentials (user \(image.registry.username)) that dockerConfigFile \(wrong) holds"),
        ]
        for (file, says) in cases {
            let runtime = try Self.runtime(image, configFile: file)
            let error = await #expect(throws: RuntimeError.self) { try await runtime.resolve(image.reference) }
            #expect(error?.code == .credentialsRefused, "\(String(describing: error))")
            let text = "\(error.map { "\($0)" } ?? "")"
            #expect(text.contains("registry \(registry) \(says)"), "\(text)")
            #expect(!text.contains(Self.password) && !text.contains("not-the-password"), "\(text)")
            await runtime.close()
        }

        // The same runtime pulls once the file holds the right password: it is read at every pull.
        let runtime = try Self.runtime(image, configFile: wrong)
        await #expect(throws: RuntimeError.self) { try await runtime.resolve(image.reference) }
        try image.writeConfig(to: wrong, password: Self.password)
        let pinned = try await runtime.resolve(image.reference)
        #expect(pinned.digest == image.pushedID)
        await runtime.close()
    }
}
