import FleetModel
import Foundation

extension SQLiteRegistry {
    /// Polls the registry revision every ``RegistryFeed/pollInterval``: every commit of every process raises it,
    /// whereas SQLite tells no connection of another's write. On each rise it compares the rollout states'
    /// versions with those it knew and reports the states whose version changed and those that disappeared.
    /// Only versions are read until one changed, so a feed costs nothing to start on a large fleet: its
    /// states' specs are decoded by whoever reads them first (and kept, see ``rolloutStates()``).
    public nonisolated func rolloutStateChanges() -> AsyncThrowingStream<[RolloutStateChange], any Error> {
        RegistryFeed.stream { continuation in
            var (seen, known) = try await self.revisionAndRolloutStateVersions()
            while !Task.isCancelled {
                try await Task.sleep(for: RegistryFeed.pollInterval)
                guard try await self.revision() > seen else { continue }
                let (revision, versions) = try await self.revisionAndRolloutStateVersions()
                seen = revision
                guard versions != known else { continue }
                let (_, states) = try await self.revisionAndRolloutStates()
                var changes = states.filter { known[$0.record.service] != $0.version }
                    .map { RolloutStateChange(service: $0.record.service, state: $0) }
                let current = Set(states.map(\.record.service))
                changes += known.keys.filter { !current.contains($0) }.sorted()
                    .map { RolloutStateChange(service: $0, state: nil) }
                if !changes.isEmpty { continuation.yield(changes) }
                known = Dictionary(uniqueKeysWithValues: states.map { ($0.record.service, $0.version) })
            }
        }
    }
}
