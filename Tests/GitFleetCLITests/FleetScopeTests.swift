import FleetController
import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// Two fleets, each with its own controller and registry, on one Podman engine: a controller's runtime sees
/// only its own fleet's containers, so neither removes, stops or adopts the other's as drift.
@Suite("Fleets sharing a Docker engine keep to their own runtime scope", .serialized)
struct FleetScopeTests {
    /// One fleet: its repository and state directory (its SQLite registry); the engine is shared.
    struct Fleet {
        let repository: FleetRepository
        let engine: PodmanEngine

        var stateDirectory: String { repository.directory.appending("state") }
        var scope: String {
            RuntimeScope.derived(
                fromRegistry: ControllerConfiguration.embeddedRegistryIdentity(stateDirectory: stateDirectory))
        }

        func commit(_ service: String, tag: String) throws -> String {
            try repository.git.write(
                "services/\(service).yaml",
                FleetRepository.service(service, image: "\(ContainerImages.demoRepository):\(tag)", replicas: 2))
            return try repository.git.commit("\(service) \(tag)")
        }

        /// `gitfleet apply` as a controller of its own: a new process with this fleet's registry.
        func apply() async throws -> BuiltProducts.Outcome {
            try await BuiltProducts.gitfleet(
                [
                    "apply", "--repo", repository.path, "--state-dir", stateDirectory, "--timeout", "120s", "--runtime",
                    "docker", "--docker-hosts", "unix://\(engine.socketPath)",
                ])
        }

        /// This fleet's controller configuration, for `status` and `adopt`.
        func configurationFile() throws -> String {
            let path = repository.directory.appending("gitfleet.yaml")
            try """
            runtime: docker
            dockerHosts: unix://\(engine.socketPath)
            stateDir: \(stateDirectory)

            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    /// Every container on the engine, by name, with its id and scope label.
    static func containers(_ engine: PodmanEngine) async throws -> [String: (id: String, scope: String)] {
        let listed = try await engine.podman([
            "ps", "--all", "--format", "{{.Names}} {{.ID}} {{index .Labels \"gitfleet.scope\"}} {{.State}}",
        ])
        var found: [String: (id: String, scope: String)] = [:]
        for line in listed.standardOutput.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 3 else { continue }
            found[fields[0]] = (fields[1], fields[2])
        }
        return found
    }

    @Test(
        "two controllers on one Podman engine each converge their own service; neither touches the other's containers, also after restarts and a spec change"
    )
    func fleetsKeepToTheirScope() async throws {
        let engine = try await PodmanEngine()
        defer { engine.stop() }
        let images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
        for tag in ["1.0", "1.1"] { try await images.installDemo(tag: tag) }
        let shop = Fleet(repository: try FleetRepository(), engine: engine)
        let blog = Fleet(repository: try FleetRepository(), engine: engine)
        defer {
            shop.repository.remove()
            blog.repository.remove()
        }
        #expect(shop.scope != blog.scope)
        // The same service name in both fleets: only the scope tells them apart.
        _ = try shop.commit("web", tag: "1.0")
        _ = try blog.commit("web", tag: "1.0")

        let shopFirst = try await shop.apply()
        try #require(shopFirst.status == 0, "\(shopFirst)")
        let blogFirst = try await blog.apply()
        try #require(blogFirst.status == 0, "\(blogFirst)")
        let afterBoth = try await Self.containers(engine)
        let shopContainers = afterBoth.filter { $0.value.scope == shop.scope }
        let blogContainers = afterBoth.filter { $0.value.scope == blog.scope }
        #expect(shopContainers.count == 2, "the blog's controller removed the shop's containers: \(afterBoth)")
        #expect(blogContainers.count == 2, "\(afterBoth)")

        // Each controller restarts (a new process), the shop with a new spec: it replaces its own only.
        _ = try shop.commit("web", tag: "1.1")
        let shopAgain = try await shop.apply()
        #expect(shopAgain.status == 0, "\(shopAgain)")
        let blogAgain = try await blog.apply()
        #expect(blogAgain.status == 0, "\(blogAgain)")
        let afterRestarts = try await Self.containers(engine)
        #expect(
            afterRestarts.filter { $0.value.scope == blog.scope }.mapValues { $0.id }
                == blogContainers.mapValues { $0.id },
            "the blog's containers must be the very same ones: \(afterRestarts)")
        let shopNow = afterRestarts.filter { $0.value.scope == shop.scope }
        #expect(shopNow.count == 2 && Set(shopNow.keys).isDisjoint(with: shopContainers.keys), "\(afterRestarts)")

        // The shop loses its registry; adopt rebuilds it from its own scope only.
        try FileManager.default.removeItem(atPath: shop.stateDirectory + "/registry.sqlite")
        let adopt = try await BuiltProducts.gitfleet(["adopt", "--config", try shop.configurationFile()])
        #expect(adopt.status == 0, "\(adopt)")
        #expect(adopt.standardOutput.contains("2 instance(s) of 1 service(s) were recorded"), "\(adopt)")
        #expect(adopt.standardOutput.contains("runtime scope: \(shop.scope)"), "\(adopt)")
        let status = try await BuiltProducts.gitfleet(["status", "--config", try shop.configurationFile()])
        #expect(status.status == 0, "\(status)")
        #expect(status.standardOutput.contains("runtime scope: \(shop.scope)"), "\(status)")
        for name in shopNow.keys {
            #expect(status.standardOutput.contains(name.dropFirst(shop.scope.count + 1)), "\(status)")
        }
        for name in blogContainers.keys {
            #expect(
                !status.standardOutput.contains(name.dropFirst(blog.scope.count + 1)), "adopted the blog's: \(status)")
        }
        // And the blog's controller, restarted once more, still finds its own fleet untouched.
        let blogLast = try await blog.apply()
        #expect(blogLast.status == 0, "\(blogLast)")
        #expect(
            try await Self.containers(engine).filter { $0.value.scope == blog.scope }.mapValues { $0.id }
                == blogContainers.mapValues { $0.id })
        for fleet in [shop, blog] {
            let runtime = try DockerRuntime(
                endpoints: [engine.endpoint],
                options: .init(scope: fleet.scope, evidenceDirectory: fleet.stateDirectory + "/docker-evidence"))
            for instance in try await runtime.inventory() {
                try await runtime.destroy(instanceID: instance.instanceID, keepLogs: false)
            }
        }
    }
}
