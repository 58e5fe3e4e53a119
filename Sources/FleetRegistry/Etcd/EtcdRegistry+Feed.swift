import FleetModel
import Foundation

extension EtcdRegistry {
    /// etcd's watch of the rollout-state prefix: every put and delete, pushed by etcd as it commits, with the
    /// record's value, so nothing is read back.
    public nonisolated func rolloutStateChanges() -> AsyncThrowingStream<[RolloutStateChange], any Error> {
        let coding = coding
        let events = watch(coding.rolloutsPrefix, prefix: true)
        return RegistryFeed.stream { continuation in
            for try await batch in events {
                let changes = try batch.compactMap { event -> RolloutStateChange? in
                    guard case .rolloutState(let service)? = coding.record(forKey: event.key) else { return nil }
                    guard event.kind == .put, let value = event.value else {
                        return RolloutStateChange(service: service, state: nil)
                    }
                    let state = try coding.decode(
                        RolloutState.self, value.base64EncodedString(), key: .rolloutState(service))
                    return RolloutStateChange(service: service, state: Versioned(state, version: event.revision))
                }
                if !changes.isEmpty { continuation.yield(changes) }
            }
        }
    }
}
