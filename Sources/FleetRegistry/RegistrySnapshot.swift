import FleetModel
import Foundation

/// Every record of a registry at one revision: what `gitfleet status --json` prints and what a backup holds.
public struct RegistrySnapshot: Hashable, Sendable, Codable {
    /// The revision the records were read at.
    public var revision: Int64
    /// Ordered by `createdAt`, then `id`.
    public var instances: [Versioned<InstanceRecord>]
    /// Ordered by service.
    public var rolloutStates: [Versioned<RolloutState>]
    /// The fleet-wide controls, when stored; absent from snapshots taken before they existed.
    public var fleetControls: Versioned<FleetControls>?

    public init(
        revision: Int64, instances: [Versioned<InstanceRecord>], rolloutStates: [Versioned<RolloutState>],
        fleetControls: Versioned<FleetControls>? = nil
    ) {
        self.revision = revision
        self.instances = instances
        self.rolloutStates = rolloutStates
        self.fleetControls = fleetControls
    }

    /// The snapshot as JSON: sorted keys, dates as whole milliseconds since 1970 (as the registry keeps them),
    /// so that the same snapshot always gives the same bytes.
    public func jsonData(prettyPrinted: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = prettyPrinted ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RegistryTimestamp.milliseconds(date))
        }
        return try encoder.encode(self)
    }

    /// Reads a snapshot written by ``jsonData(prettyPrinted:)``.
    public init(jsonData: Data) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            RegistryTimestamp.date(milliseconds: try decoder.singleValueContainer().decode(Int64.self))
        }
        do {
            self = try decoder.decode(RegistrySnapshot.self, from: jsonData)
        } catch {
            throw RegistryError(.corrupt, "The data is not a registry snapshot.", underlying: error)
        }
    }

    /// Puts that recreate every record of the snapshot in an empty registry, in commits of at most
    /// ``RegistryChange/maximumPerCommit`` changes, and of at most ``restoringKeptOutputPerCommit`` bytes of
    /// kept output, so a backup of many quarantined instances stays below etcd's request size (1.5 MiB by
    /// default). Each put expects the record to be absent, so restoring over a registry that already holds one
    /// of them fails instead of overwriting it.
    public var restoringCommits: [[RegistryChange]] {
        let changes =
            rolloutStates.map { RegistryChange.putRolloutState($0.record, expecting: .absent) }
            + (fleetControls.map { [RegistryChange.putFleetControls($0.record, expecting: .absent)] } ?? [])
            + instances.map { RegistryChange.putInstance($0.record, expecting: .absent) }
        var commits: [[RegistryChange]] = []
        var commit: [RegistryChange] = []
        var kept = 0
        for change in changes {
            var size = 0
            if case .putInstance(let record, _) = change { size = record.keptOutput?.utf8.count ?? 0 }
            if !commit.isEmpty
                && (commit.count == RegistryChange.maximumPerCommit || kept + size > Self.restoringKeptOutputPerCommit)
            {
                commits.append(commit)
                (commit, kept) = ([], 0)
            }
            commit.append(change)
            kept += size
        }
        if !commit.isEmpty { commits.append(commit) }
        return commits
    }

    /// The most kept output (``InstanceRecord/keptOutput``) one restoring commit carries: eight records at the cap.
    public static let restoringKeptOutputPerCommit = 8 * InstanceRecord.keptOutputLimit
}
