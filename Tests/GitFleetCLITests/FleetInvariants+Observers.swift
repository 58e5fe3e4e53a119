import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting

/// A process-runtime fleet whose registry is a SQLite file in a state folder of its own (on a small disk, say):
/// records read from that file, opened afresh for each read as another process would, and processes found in
/// `/proc` as ``EmbeddedFleet`` finds them.
struct SQLiteStateFleet: ObservedFleet {
    let stateDirectory: String
    let scope: String

    func records() async throws -> [InstanceRecord] {
        let registry = try SQLiteRegistry(stateDirectory: URL(fileURLWithPath: stateDirectory))
        defer { Task { try? await registry.close() } }
        return try await registry.instances(service: nil).map(\.record)
    }

    func runningInstanceIDs() async throws -> Set<String> {
        Set(EmbeddedFleet.runningInstances(scope: scope).map(\.id))
    }
}

/// Process-runtime controllers on etcd: records read from etcd directly (past any proxy between the controllers
/// and etcd), processes found in `/proc` by the scope the controllers derive from the etcd prefix.
struct EtcdStateFleet: ObservedFleet {
    let observer: EtcdRegistry
    let scope: String

    func records() async throws -> [InstanceRecord] {
        try await observer.instances(service: nil).map(\.record)
    }

    func runningInstanceIDs() async throws -> Set<String> {
        Set(EmbeddedFleet.runningInstances(scope: scope).map(\.id))
    }
}

/// A fleet on the Docker runtime: records from the SQLite registry of `fleet`'s state folder, running containers
/// listed with the podman CLI from the engine's storage, so they can be read while its API service is down.
struct DockerStateFleet: ObservedFleet {
    let fleet: EmbeddedFleet
    let engine: PodmanEngine
    let service: String

    func records() async throws -> [InstanceRecord] { try await fleet.records() }

    func runningInstanceIDs() async throws -> Set<String> {
        try await containers(["--filter", "status=running"])
    }

    /// The instance ids of `service`'s containers, running or not.
    func containers(_ filter: [String] = []) async throws -> Set<String> {
        let listed = try await engine.podman(["ps", "--all", "--format", "{{.Names}}"] + filter)
        guard listed.status == 0 else { throw FixtureError("podman ps failed: \(listed)") }
        // `<scope>.<instance id>`; ids hold no dots.
        return Set(
            listed.standardOutput.split(separator: "\n").compactMap { name in
                name.split(separator: ".").last.flatMap { $0.hasPrefix("\(service)-") ? String($0) : nil }
            })
    }
}
