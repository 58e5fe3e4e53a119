import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting

/// A fleet repository plus a state directory with the demo images installed, driven through the
/// `gitfleet` binary. `tearDown()` stops every process the runtime holds.
struct EmbeddedFleet: Sendable {
    let repository: FleetRepository
    let stateDirectory: String
    /// The runtime scope of the controllers and commands driving this fleet: by default what they derive from
    /// the SQLite registry in the state directory.
    var scope: String

    init() throws {
        repository = try FleetRepository()
        stateDirectory = repository.directory.appending("state")
        scope = RuntimeScope.derived(
            fromRegistry: ControllerConfiguration.embeddedRegistryIdentity(stateDirectory: stateDirectory))
        let installed = try BuiltProducts.runBlocking(
            try BuiltProducts.path(of: "gitfleet"),
            ["demo-images", "--state-dir", stateDirectory, "--binary", try RuntimeFixtures.demoBinary()])
        guard installed.status == 0 else { throw FixtureError("demo-images failed: \(installed)") }
    }

    /// Commits `services/web.yaml` for `image` and returns the commit.
    @discardableResult
    func commitWeb(
        _ image: String, replicas: Int = 3, progressDeadline: String = "30s", startTimeout: String = "10s",
        minReady: String = "0s", maxSurge: Int = 1
    ) throws -> String {
        try repository.git.write(
            "services/web.yaml",
            FleetRepository.service(
                "web", image: image, replicas: replicas, progressDeadline: progressDeadline, startTimeout: startTimeout,
                maxSurge: maxSurge)
        )
        return try repository.git.commit("web \(image)")
    }

    func apply(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> BuiltProducts.Outcome {
        try await BuiltProducts.gitfleet(
            ["apply", "--repo", repository.path, "--state-dir", stateDirectory, "--timeout", "90s"] + extra,
            environment: environment)
    }

    /// Starts `apply` without waiting for it.
    func startApply() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltProducts.path(of: "gitfleet"))
        process.arguments = ["apply", "--repo", repository.path, "--state-dir", stateDirectory, "--timeout", "90s"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func registry() throws -> SQLiteRegistry {
        try SQLiteRegistry(stateDirectory: URL(fileURLWithPath: stateDirectory))
    }

    func records() async throws -> [InstanceRecord] {
        let registry = try registry()
        defer { Task { try? await registry.close() } }
        return try await registry.instances(service: nil).map(\.record)
    }

    func inventory() async throws -> [RuntimeInstance] {
        try await ProcessRuntime(stateDirectory: stateDirectory, scope: scope).inventory()
    }

    func tearDown() async {
        let runtime = ProcessRuntime(stateDirectory: stateDirectory, scope: scope)
        for instance in (try? await runtime.inventory()) ?? [] {
            _ = try? await runtime.stop(instanceID: instance.instanceID, gracePeriod: .seconds(2))
            try? await runtime.destroy(instanceID: instance.instanceID, keepLogs: false)
        }
        repository.remove()
    }
}
