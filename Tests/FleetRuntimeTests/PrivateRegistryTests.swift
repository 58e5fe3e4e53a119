import FleetModel
import Foundation
import GitFleetTesting
import Testing

@testable import FleetRuntime

/// Pulls from a real private registry (Debian's docker-registry with htpasswd authentication, on loopback)
/// through the private Podman's Docker Engine API, with the credentials of a Docker config file.
@Suite("Docker runtime pulls from a private registry", .serialized)
struct PrivateRegistryTests {
    static let password = "correct horse:battery/staple"

    /// A registry holding the demo image as `<registry>/demo/web:1.0`, and an engine that does not hold it.
    struct PrivateImage {
        let registry: ImageRegistryServer
        let engine: PodmanEngine
        let reference: ImageReference
        /// The image id the engine gave the image it pushed: what a pull must resolve the tag to.
        let pushedID: String

        init() async throws {
            registry = try await ImageRegistryServer(password: PrivateRegistryTests.password)
            do {
                engine = try await PodmanEngine(insecureRegistries: [registry.address])
            } catch {
                registry.stop()
                throw error
            }
            do {
                let images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
                let local = try await images.installDemo(tag: "1.0")
                let localName = "\(local.repository):1.0"
                pushedID = try Self.imageID(
                    try await engine.podman(["image", "inspect", "--format", "{{.Id}}", localName]))
                reference = ImageReference(repository: registry.repository("demo/web"), tag: "1.0")
                try await registry.push(localName, from: engine, as: reference)
                let left = try await engine.podman(["image", "exists", "\(reference.repository):1.0"])
                #expect(left.status == 1, "the engine must not hold the image before the runtime pulls it: \(left)")
            } catch {
                engine.stop()
                registry.stop()
                throw error
            }
        }

        static func imageID(_ outcome: BuiltProducts.Outcome) throws -> String {
            let id = outcome.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            guard outcome.status == 0, !id.isEmpty else {
                throw FixtureError("podman image inspect failed: \(outcome)")
            }
            return id.hasPrefix("sha256:") ? id : "sha256:\(id)"
        }

        /// A Docker runtime on the engine whose pulls read `configFile` (none when nil).
        func runtime(configFile: String?) throws -> DockerRuntime {
            try DockerRuntime(
                endpoints: [engine.endpoint],
                options: .init(
                    scope: "private-registry", evidenceDirectory: engine.directory.appending("evidence"),
                    registryConfig: configFile.map(DockerConfigFile.init(path:))))
        }

        /// Writes a config.json giving `user:password` for `host` as `docker login` does (`auth`), returns its path.
        func writeConfig(host: String, username: String, password: String, name: String = "config.json") throws
            -> String
        {
            let path = engine.directory.appending(name)
            let auth = Data("\(username):\(password)".utf8).base64EncodedString()
            try #"{"auths": {"\#(host)": {"auth": "\#(auth)"}}}"#.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        func tearDown() {
            engine.stop()
            registry.stop()
        }
    }

    @Test("With the config file's credentials the tag is pulled, resolves to the pushed digest and the instance runs")
    func pullsWithCredentials() async throws {
        let image = try await PrivateImage()
        defer { image.tearDown() }
        let config = try image.writeConfig(
            host: image.registry.address, username: image.registry.username, password: Self.password)
        let runtime = try image.runtime(configFile: config)
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
        let image = try await PrivateImage()
        defer { image.tearDown() }
        let registry = image.registry.address
        let wrong = try image.writeConfig(
            host: registry, username: image.registry.username, password: "not-the-password")
        let elsewhere = try image.writeConfig(
            host: "registry.example.com", username: "someone", password: Self.password, name: "elsewhere.json")
        let cases: [(file: String?, says: String)] = [
            (nil, "refused a pull without credentials (no dockerConfigFile is set)"),
            (elsewhere, "refused a pull without credentials (dockerConfigFile \(elsewhere) holds none for it)"),
            (wrong, "refused the credentials (user \(image.registry.username)) that dockerConfigFile \(wrong) holds"),
        ]
        for (file, says) in cases {
            let runtime = try image.runtime(configFile: file)
            let error = await #expect(throws: RuntimeError.self) { try await runtime.resolve(image.reference) }
            #expect(error?.code == .credentialsRefused, "\(String(describing: error))")
            let text = "\(error.map { "\($0)" } ?? "")"
            #expect(text.contains("registry \(registry) \(says)"), "\(text)")
            #expect(!text.contains(Self.password) && !text.contains("not-the-password"), "\(text)")
            await runtime.close()
        }

        // The same runtime pulls once the file holds the right password: it is read at every pull.
        let runtime = try image.runtime(configFile: wrong)
        await #expect(throws: RuntimeError.self) { try await runtime.resolve(image.reference) }
        _ = try image.writeConfig(host: registry, username: image.registry.username, password: Self.password)
        let pinned = try await runtime.resolve(image.reference)
        #expect(pinned.digest == image.pushedID)
        await runtime.close()
    }
}
