import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting

/// A state directory with a SQLite registry, a process runtime and demo images `demo/web:<tag>`,
/// torn down with every process it started.
final class ConvergenceFixture: Sendable {
    let stateDirectory: String
    let registry: SQLiteRegistry
    let runtime: ProcessRuntime
    let demoBinary: String

    init() throws {
        stateDirectory = try RuntimeFixtures.temporaryDirectory("gitfleet-converge")
        registry = try SQLiteRegistry(stateDirectory: URL(fileURLWithPath: stateDirectory))
        runtime = ProcessRuntime(stateDirectory: stateDirectory)
        demoBinary = try RuntimeFixtures.demoBinary()
    }

    /// Installs demo image `demo/web:<tag>` and returns the reference pinned to its digest.
    func image(_ tag: String, env: [String: String] = [:]) async throws -> ImageReference {
        let reference = try DemoImage.install(into: runtime.images, tag: tag, binary: demoBinary, env: env)
        return try await runtime.resolve(reference)
    }

    /// A web service of the demo image, health-checked over HTTP, with quick drains for tests.
    func webService(
        image: ImageReference, replicas: Int = 3, progressDeadline: Duration = .seconds(60),
        startTimeout: Duration = .seconds(30), minReady: Duration = .zero
    ) -> ServiceSpec {
        ServiceSpec(
            name: "web", image: image, replicas: replicas, ports: ["http": 0],
            health: HealthCheck(
                probe: .http(path: "/healthz", port: "http"), interval: .milliseconds(200),
                timeout: .seconds(1), healthyThreshold: 1, unhealthyThreshold: 2, startTimeout: startTimeout),
            rollout: RolloutPolicy(
                maxSurge: .count(1), maxUnavailable: .count(0), minReady: minReady, progressDeadline: progressDeadline),
            drain: DrainPolicy(delay: .milliseconds(300), gracePeriod: .seconds(5)))
    }

    func converger() -> Converger {
        Converger(registry: registry, runtime: runtime, options: .init(tick: .milliseconds(100)))
    }

    func records(_ service: String = "web") async throws -> [InstanceRecord] {
        try await registry.instances(service: service).map(\.record)
    }

    /// Stops and destroys everything the runtime holds, then removes the state directory.
    func tearDown() async {
        for instance in (try? await runtime.inventory()) ?? [] {
            _ = try? await runtime.stop(instanceID: instance.instanceID, gracePeriod: .seconds(2))
            try? await runtime.destroy(instanceID: instance.instanceID, keepLogs: false)
        }
        try? await registry.close()
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }
}
