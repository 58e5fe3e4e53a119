import FleetController
import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// `gitfleet apply --runtime docker` deploying an image from a private registry, with and without
/// `--docker-config-file`.
@Suite("gitfleet apply pulls from a private registry", .serialized)
struct PrivateRegistryCommandTests {
    static let password = "apply-secret-0xC0FFEE"

    @Test("Without credentials apply fails naming the registry; with --docker-config-file it deploys the image")
    func applyWithAndWithoutCredentials() async throws {
        let registry = try await ImageRegistryServer(password: Self.password)
        defer { registry.stop() }
        let engine = try await PodmanEngine(insecureRegistries: [registry.address])
        defer { engine.stop() }
        let repository = try FleetRepository()
        defer { repository.remove() }
        let images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
        let local = try await images.installDemo(tag: "1.0")
        let remote = ImageReference(repository: registry.repository("demo/web"), tag: "1.0")
        try await registry.push("\(local.repository):1.0", from: engine, as: remote)
        try repository.git.write(
            "services/web.yaml", FleetRepository.service("web", image: "\(remote.repository):1.0", replicas: 1))
        _ = try repository.git.commit("web from the private registry")

        let stateDirectory = repository.directory.appending("state")
        let arguments = [
            "apply", "--repo", repository.path, "--state-dir", stateDirectory, "--timeout", "90s", "--runtime",
            "docker",
            "--docker-hosts", "unix://\(engine.socketPath)",
        ]
        let refused = try await BuiltProducts.gitfleet(arguments)
        #expect(refused.status != 0, "\(refused)")
        let said = refused.standardOutput + refused.standardError
        #expect(
            said.contains(
                "registry \(registry.address) refused a pull without credentials (no dockerConfigFile is set)"),
            "\(refused)")

        let config = repository.directory.appending("config.json")
        let auth = Data("\(registry.username):\(Self.password)".utf8).base64EncodedString()
        try #"{"auths": {"\#(registry.address)": {"auth": "\#(auth)"}}}"#.write(
            toFile: config, atomically: true, encoding: .utf8)
        let deployed = try await BuiltProducts.gitfleet(arguments + ["--docker-config-file", config])
        #expect(deployed.status == 0, "\(deployed)")
        let all = deployed.standardOutput + deployed.standardError + said
        #expect(!all.contains(Self.password) && !all.contains(auth), "the credentials never appear in output")
        let running = try await engine.podman([
            "ps", "--filter", "label=gitfleet.service=web", "--format", "{{.Names}}",
        ])
        #expect(running.standardOutput.split(separator: "\n").count == 1, "the instance runs: \(running)")
    }
}
