import FleetController
import FleetModel
import FleetPlanner
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// `plan` and `apply` with `--runtime docker` against a private Podman engine.
@Suite("gitfleet plan and apply on the Docker runtime", .serialized)
struct DockerRuntimeCommandTests {
    /// A fleet repository, a state directory and a Podman engine holding the demo image.
    struct DockerFleet {
        let repository: FleetRepository
        let engine: PodmanEngine
        let images: ContainerImages

        init() async throws {
            engine = try await PodmanEngine()
            do {
                images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
                repository = try FleetRepository()
            } catch {
                engine.stop()
                throw error
            }
        }

        var stateDirectory: String { repository.directory.appending("state") }
        var runtimeArguments: [String] { ["--runtime", "docker", "--docker-hosts", "unix://\(engine.socketPath)"] }

        /// The runtime scope `apply` derives from the state directory.
        var scope: String {
            RuntimeScope.derived(
                fromRegistry: ControllerConfiguration.embeddedRegistryIdentity(stateDirectory: stateDirectory))
        }

        func runtime() throws -> DockerRuntime {
            try DockerRuntime(
                endpoints: [engine.endpoint],
                options: .init(scope: scope, evidenceDirectory: "\(stateDirectory)/docker-evidence"))
        }

        func apply(_ extra: [String], environment: [String: String] = [:]) async throws -> BuiltProducts.Outcome {
            try await BuiltProducts.gitfleet(
                ["apply", "--repo", repository.path, "--state-dir", stateDirectory, "--timeout", "90s"]
                    + runtimeArguments + extra, environment: environment)
        }

        func tearDown() {
            engine.stop()
            repository.remove()
        }
    }

    @Test("A re-tagged image (same tag, new content) plans as a replacement from the old digest to the new one")
    func retaggedImageIsAReplacement() async throws {
        let fleet = try await DockerFleet()
        defer { fleet.tearDown() }
        let repository = fleet.repository
        try await fleet.images.installDemo(tag: "1.0")
        try repository.git.write(
            "services/web.yaml", FleetRepository.service("web", image: "\(ContainerImages.demoRepository):1.0"))
        _ = try repository.git.commit("web 1.0")

        let first = try await BuiltProducts.gitfleet(
            ["plan", "--repo", repository.path, "--json"] + fleet.runtimeArguments)
        #expect(first.status == 0, "\(first)")
        let v1 = try #require(try PlanDocument.decode(Data(first.standardOutput.utf8)).plan.actions.first)
        let oldDigest = try #require(
            v1.toImage.flatMap(Self.digest), "the image is pinned through the engine: \(first)")
        let live = (0..<3).map {
            InstanceRecord(
                id: "web-\($0)", service: "web", specHash: v1.toSpecHash!, image: v1.toImage!, state: .serving,
                createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        }
        let liveFile = repository.directory.appending("live.json")
        try LiveStateFile.encode(live).write(to: URL(fileURLWithPath: liveFile))
        let unchanged = try await BuiltProducts.gitfleet(
            ["plan", "--repo", repository.path, "--live", liveFile, "--detailed-exitcode"] + fleet.runtimeArguments)
        #expect(unchanged.status == 0, "the same content is no change: \(unchanged)")

        // The same tag now names other content; the manifest did not change at all.
        try await fleet.images.installDemo(tag: "1.0", files: ["marker.txt": "rebuilt"])
        let moved = try await BuiltProducts.gitfleet(
            ["plan", "--repo", repository.path, "--live", liveFile, "--detailed-exitcode"] + fleet.runtimeArguments)
        #expect(moved.status == 2, "\(moved)")
        #expect(moved.standardOutput.contains("-/+ web: replace"), "\(moved)")
        let newDigest = try await fleet.runtime().resolve(
            ImageReference(repository: ContainerImages.demoRepository, tag: "1.0")
        ).digest
        #expect(newDigest != nil && newDigest != oldDigest)
        for digest in [oldDigest, newDigest ?? "none"] {
            #expect(moved.standardOutput.contains(String(digest.dropFirst("sha256:".count).prefix(12))), "\(moved)")
        }
        let json = try await BuiltProducts.gitfleet(
            ["plan", "--repo", repository.path, "--live", liveFile, "--json"] + fleet.runtimeArguments)
        let action = try #require(try PlanDocument.decode(Data(json.standardOutput.utf8)).plan.actions.first)
        #expect(action.kind == .replace, "\(json)")
        #expect(
            action.fromImage.flatMap(Self.digest) == oldDigest && action.toImage.flatMap(Self.digest) == newDigest,
            "\(json)")
    }

    /// The `sha256:…` digest in an image reference as the plan writes it.
    static func digest(_ image: String) -> String? {
        image.range(of: "sha256:").map { String(image[$0.lowerBound...]) }
    }

    @Test("apply is killed at several points of a container rollout; a restarted apply adopts and converges")
    func killAndAdopt() async throws {
        let fleet = try await DockerFleet()
        defer { fleet.tearDown() }
        let repository = fleet.repository
        for tag in ["1.0", "1.1"] { try await fleet.images.installDemo(tag: tag) }
        var commits: [String] = []
        for tag in ["1.0", "1.1"] {
            try repository.git.write(
                "services/web.yaml", FleetRepository.service("web", image: "\(ContainerImages.demoRepository):\(tag)"))
            commits.append(try repository.git.commit("web \(tag)"))
        }
        let converged = try await fleet.apply(["--rev", commits[0]])
        try #require(converged.status == 0, "\(converged)")
        let runtime = try fleet.runtime()
        let before = try await runtime.inventory()
        #expect(before.filter(\.status.isRunning).count == 3, "\(before)")

        var killed: [Int] = []
        for (round, point) in [2, 5, 9, 14].enumerated() {
            let target = commits[(round + 1) % 2]
            let crashed = try await fleet.apply(["--rev", target], environment: ["GITFLEET_CRASH_AT": "\(point)"])
            if crashed.signaled && crashed.status == SIGKILL { killed.append(point) }
            let recovered = try await fleet.apply(["--rev", target])
            #expect(recovered.status == 0, "point \(point): recovery did not converge: \(recovered)")
            let running = try await runtime.inventory().filter(\.status.isRunning)
            #expect(running.count == 3, "point \(point): \(running.map(\.instanceID)) run after recovery")
        }
        #expect(killed.count >= 3, "only \(killed) crash points were reached")
        // Nothing but the serving set is left on the engine: every container has a record that serves.
        let listed = try await fleet.engine.podman(["ps", "--all", "--format", "{{.Names}}"])
        let names = listed.standardOutput.split(separator: "\n").filter { !$0.isEmpty }
        #expect(names.count == 3, "containers left: \(names)")
    }
}
