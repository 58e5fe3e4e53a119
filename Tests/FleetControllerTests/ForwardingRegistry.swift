import FleetModel
import FleetRegistry

/// A registry that passes every call to `base`: tests subclass it and override what they watch or change.
class ForwardingRegistry: Registry, @unchecked Sendable {
    let base: any Registry

    init(base: any Registry) {
        self.base = base
    }

    func commit(_ changes: [RegistryChange]) async throws -> Int64 { try await base.commit(changes) }
    func instances(service: String?) async throws -> [Versioned<InstanceRecord>] {
        try await base.instances(service: service)
    }
    func instance(id: String) async throws -> Versioned<InstanceRecord>? { try await base.instance(id: id) }
    func rolloutStates() async throws -> [Versioned<RolloutState>] { try await base.rolloutStates() }
    func rolloutState(service: String) async throws -> Versioned<RolloutState>? {
        try await base.rolloutState(service: service)
    }
    func fleetControls() async throws -> Versioned<FleetControls>? { try await base.fleetControls() }
    func snapshot() async throws -> RegistrySnapshot { try await base.snapshot() }
    func rolloutStateChanges() -> AsyncThrowingStream<[RolloutStateChange], any Error> { base.rolloutStateChanges() }
    func ping() async throws { try await base.ping() }
    func close() async throws { try await base.close() }
}
