import FleetModel
import Foundation
import GRDB

// How records map to rows and back. Kept in one place so the column list and the decoding cannot drift apart.
extension SQLiteRegistry {
    static func currentRevision(_ db: Database) throws -> Int64 {
        guard let revision = try Int64.fetchOne(db, sql: "SELECT revision FROM registry_revision") else {
            throw RegistryError(.corrupt, "The registry has lost its revision row.")
        }
        return revision
    }

    static func storedVersion(_ db: Database, _ key: RegistryRecordKey) throws -> Int64? {
        switch key {
        case .instance(let id):
            return try Int64.fetchOne(db, sql: "SELECT version FROM instance WHERE id = ?", arguments: [id])
        case .rolloutState(let service):
            return try Int64.fetchOne(
                db, sql: "SELECT version FROM rollout_state WHERE service = ?", arguments: [service])
        case .fleetControls:
            return try Int64.fetchOne(db, sql: "SELECT version FROM fleet_controls")
        }
    }

    static func apply(_ change: RegistryChange, at revision: Int64, _ db: Database) throws {
        switch change {
        case .putInstance(let record, _):
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO instance (id, service, spec_hash, revision, image, state, address, ports,
                        runtime_handle, created_at, updated_at, reason, version, kept_output)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id, record.service, record.specHash.rawValue, record.revision, record.image,
                    record.state.rawValue, record.address, try json(record.ports), record.runtimeHandle,
                    RegistryTimestamp.milliseconds(record.createdAt), RegistryTimestamp.milliseconds(record.updatedAt),
                    record.reason, revision, record.keptOutput,
                ])
        case .deleteInstance(let id, _):
            try db.execute(sql: "DELETE FROM instance WHERE id = ?", arguments: [id])
        case .putRolloutState(let state, _):
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO rollout_state (service, target_spec_hash, target_revision,
                        last_good_spec_hash, last_good_revision, last_good_spec, failed_spec_hashes, phase, step,
                        started_at, last_progress_at, message, version, tried_specs, previous_good_spec,
                        previous_good_revision, suspended, pin)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    state.service, state.targetSpecHash.rawValue, state.targetRevision,
                    state.lastGoodSpecHash?.rawValue, state.lastGoodRevision,
                    try state.lastGoodSpec.map { try json($0) },
                    try json(state.failedSpecHashes.map(\.rawValue).sorted()), state.phase.rawValue, state.step,
                    RegistryTimestamp.milliseconds(state.startedAt),
                    RegistryTimestamp.milliseconds(state.lastProgressAt),
                    state.message, revision, state.triedSpecs.isEmpty ? nil : try json(state.triedSpecs),
                    try state.previousGoodSpec.map { try json($0) }, state.previousGoodRevision,
                    try state.suspended.map { try json($0) }, try state.pin.map { try json($0) },
                ])
        case .deleteRolloutState(let service, _):
            try db.execute(sql: "DELETE FROM rollout_state WHERE service = ?", arguments: [service])
        case .putFleetControls(let controls, _):
            try db.execute(
                sql: "INSERT OR REPLACE INTO fleet_controls (id, suspended, version) VALUES (1, ?, ?)",
                arguments: [try controls.suspended.map { try json($0) }, revision])
        case .deleteFleetControls:
            try db.execute(sql: "DELETE FROM fleet_controls")
        }
    }

    static func fetchInstances(_ db: Database, service: String?) throws -> [Versioned<InstanceRecord>] {
        let rows: [Row]
        if let service {
            rows = try Row.fetchAll(
                db, sql: "SELECT * FROM instance WHERE service = ? ORDER BY created_at, id", arguments: [service])
        } else {
            rows = try Row.fetchAll(db, sql: "SELECT * FROM instance ORDER BY created_at, id")
        }
        return try rows.map(instance(from:))
    }

    /// Every rollout state at the current revision. A state whose row still has the version `cache` holds
    /// is taken from it instead of decoded again (a row's version is the revision that last wrote it, and
    /// revisions only grow); at `cache`'s own revision nothing is read but the revision.
    static func fetchRolloutStates(_ db: Database, reusing cache: RolloutStateCache) throws -> RolloutStateCache {
        let revision = try currentRevision(db)
        if revision == cache.revision { return cache }
        var fresh = RolloutStateCache(revision: revision)
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM rollout_state ORDER BY service")
        while let row = try rows.next() {
            let service = try row.decode(String.self, forColumn: "service")
            let version = try row.decode(Int64.self, forColumn: "version")
            let state: Versioned<RolloutState>
            if let cached = cache.byService[service], cached.version == version {
                state = cached
            } else {
                state = try rolloutState(from: row)
            }
            fresh.all.append(state)
            fresh.byService[service] = state
        }
        return fresh
    }

    static func fetchFleetControls(_ db: Database) throws -> Versioned<FleetControls>? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM fleet_controls") else { return nil }
        do {
            let controls = FleetControls(
                suspended: try row.decode(String?.self, forColumn: "suspended").map {
                    try decodeJSON(Attribution.self, $0)
                })
            return Versioned(controls, version: try row.decode(Int64.self, forColumn: "version"))
        } catch {
            throw corrupt(.fleetControls, error)
        }
    }

    static func instance(from row: Row) throws -> Versioned<InstanceRecord> {
        let id = try row.decode(String.self, forColumn: "id")
        let key = RegistryRecordKey.instance(id)
        do {
            let stateName = try row.decode(String.self, forColumn: "state")
            guard let state = InstanceState(rawValue: stateName) else {
                throw RegistryError(.corrupt, "Unknown instance state '\(stateName)'.", record: key)
            }
            let record = InstanceRecord(
                id: id,
                service: try row.decode(String.self, forColumn: "service"),
                specHash: SpecHash(rawValue: try row.decode(String.self, forColumn: "spec_hash")),
                revision: try row.decode(String?.self, forColumn: "revision"),
                image: try row.decode(String.self, forColumn: "image"),
                state: state,
                address: try row.decode(String?.self, forColumn: "address"),
                ports: try decodeJSON([String: Int].self, row.decode(String.self, forColumn: "ports")),
                runtimeHandle: try row.decode(String?.self, forColumn: "runtime_handle"),
                createdAt: RegistryTimestamp.date(milliseconds: try row.decode(Int64.self, forColumn: "created_at")),
                updatedAt: RegistryTimestamp.date(milliseconds: try row.decode(Int64.self, forColumn: "updated_at")),
                reason: try row.decode(String?.self, forColumn: "reason"),
                keptOutput: try row.decode(String?.self, forColumn: "kept_output"))
            return Versioned(record, version: try row.decode(Int64.self, forColumn: "version"))
        } catch {
            throw corrupt(key, error)
        }
    }

    static func rolloutState(from row: Row) throws -> Versioned<RolloutState> {
        let service = try row.decode(String.self, forColumn: "service")
        let key = RegistryRecordKey.rolloutState(service)
        do {
            let phaseName = try row.decode(String.self, forColumn: "phase")
            guard let phase = RolloutPhase(rawValue: phaseName) else {
                throw RegistryError(.corrupt, "Unknown rollout phase '\(phaseName)'.", record: key)
            }
            let failed = try decodeJSON([String].self, row.decode(String.self, forColumn: "failed_spec_hashes"))
            let state = RolloutState(
                service: service,
                targetSpecHash: SpecHash(rawValue: try row.decode(String.self, forColumn: "target_spec_hash")),
                targetRevision: try row.decode(String?.self, forColumn: "target_revision"),
                lastGoodSpecHash: try row.decode(String?.self, forColumn: "last_good_spec_hash").map(SpecHash.init),
                lastGoodRevision: try row.decode(String?.self, forColumn: "last_good_revision"),
                lastGoodSpec: try row.decode(String?.self, forColumn: "last_good_spec").map {
                    try decodeJSON(ServiceSpec.self, $0)
                },
                failedSpecHashes: Set(failed.map(SpecHash.init)),
                triedSpecs: try row.decode(String?.self, forColumn: "tried_specs").map {
                    try decodeJSON([ServiceSpec].self, $0)
                } ?? [],
                phase: phase,
                step: try row.decode(Int.self, forColumn: "step"),
                startedAt: RegistryTimestamp.date(milliseconds: try row.decode(Int64.self, forColumn: "started_at")),
                lastProgressAt: RegistryTimestamp.date(
                    milliseconds: try row.decode(Int64.self, forColumn: "last_progress_at")),
                message: try row.decode(String?.self, forColumn: "message"),
                previousGoodSpec: try row.decode(String?.self, forColumn: "previous_good_spec").map {
                    try decodeJSON(ServiceSpec.self, $0)
                },
                previousGoodRevision: try row.decode(String?.self, forColumn: "previous_good_revision"),
                suspended: try row.decode(String?.self, forColumn: "suspended").map {
                    try decodeJSON(Attribution.self, $0)
                },
                pin: try row.decode(String?.self, forColumn: "pin").map { try decodeJSON(RolloutPin.self, $0) })
            return Versioned(state, version: try row.decode(Int64.self, forColumn: "version"))
        } catch {
            throw corrupt(key, error)
        }
    }

    private static func corrupt(_ key: RegistryRecordKey, _ error: any Error) -> RegistryError {
        if let error = error as? RegistryError { return error }
        return RegistryError(
            .corrupt, "The stored \(key) cannot be read back.", record: key, underlying: error)
    }

    /// Dates inside JSON columns (an attribution's `at`) are whole milliseconds too, as in every registry.
    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RegistryTimestamp.milliseconds(date))
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            RegistryTimestamp.date(milliseconds: try decoder.singleValueContainer().decode(Int64.self))
        }
        return try decoder.decode(type, from: Data(text.utf8))
    }
}

/// The rollout states read at one registry revision, by service too (`-1`: nothing read yet).
struct RolloutStateCache: Sendable {
    var revision: Int64 = -1
    var all: [Versioned<RolloutState>] = []
    var byService: [String: Versioned<RolloutState>] = [:]
}
