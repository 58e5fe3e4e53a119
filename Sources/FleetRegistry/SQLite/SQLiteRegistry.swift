import FleetModel
import Foundation
import GRDB

/// The embedded registry: one SQLite database file in WAL mode, for a controller on a single host.
///
/// Every commit is one SQLite transaction, so it is applied whole or not at all, also when the process is
/// killed in the middle of it; `synchronous = FULL` makes a returned commit survive a power cut too.
/// Readers run concurrently with the writer and see only whole commits. Other processes (a
/// `gitfleet status` next to a running controller) may open the same file; they wait up to
/// ``busyTimeout`` for a lock before failing with `.unavailable`.
///
/// The schema is versioned by migrations (see `SQLiteRegistry+Schema.swift`). Opening a file that a newer
/// gitfleet migrated further fails with `.incompatible` instead of guessing at columns it does not know.
public actor SQLiteRegistry: Registry {
    /// The database file's name inside the controller's state directory.
    public static let fileName = "registry.sqlite"
    /// How long a write waits for another process's lock.
    public static let busyTimeout: TimeInterval = 10

    /// The database file.
    public nonisolated let path: String
    private let pool: DatabasePool
    private var isClosed = false
    /// The rollout states as last read, so a read at the same revision decodes nothing and one after a commit
    /// decodes only the rows written since. A rollout state holds whole service specs as JSON; decoding
    /// 10,000 of them takes about a second, and the status, dashboard and change feed read them all often.
    private var decodedRolloutStates = RolloutStateCache()

    /// Opens (creating it if needed) the registry file at `path` and migrates it to the current schema.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.label = "gitfleet.registry"
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.prepareDatabase { db in
            // WAL's default (NORMAL) may lose the last commits on power loss; the controller has already
            // acted on them by then, so a commit must be on disk before it returns.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw RegistryError(translating: error, "Cannot open the registry at \(path).")
        }
        try Self.migrate(pool, path: path)
    }

    /// Opens `<stateDirectory>/registry.sqlite`, creating the directory if needed.
    public init(stateDirectory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw RegistryError(.io, "Cannot create the state directory \(stateDirectory.path).", underlying: error)
        }
        try self.init(path: stateDirectory.appendingPathComponent(Self.fileName).path)
    }

    public func instances(service: String?) async throws -> [Versioned<InstanceRecord>] {
        try await read("list instances") { db in try Self.fetchInstances(db, service: service) }
    }

    public func instance(id: String) async throws -> Versioned<InstanceRecord>? {
        try await read("read instance '\(id)'") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM instance WHERE id = ?", arguments: [id])
                .map(Self.instance(from:))
        }
    }

    public func rolloutStates() async throws -> [Versioned<RolloutState>] {
        try await revisionAndRolloutStates().states
    }

    public func rolloutState(service: String) async throws -> Versioned<RolloutState>? {
        try await read("read the rollout state of '\(service)'") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM rollout_state WHERE service = ?", arguments: [service])
                .map(Self.rolloutState(from:))
        }
    }

    public func fleetControls() async throws -> Versioned<FleetControls>? {
        try await read("read the fleet controls") { db in try Self.fetchFleetControls(db) }
    }

    public func snapshot() async throws -> RegistrySnapshot {
        let cache = decodedRolloutStates
        let (snapshot, states) = try await read("take a snapshot") { db in
            let states = try Self.fetchRolloutStates(db, reusing: cache)
            let snapshot = RegistrySnapshot(
                revision: states.revision, instances: try Self.fetchInstances(db, service: nil),
                rolloutStates: states.all, fleetControls: try Self.fetchFleetControls(db))
            return (snapshot, states)
        }
        keep(states)
        return snapshot
    }

    @discardableResult
    public func commit(_ changes: [RegistryChange]) async throws -> Int64 {
        try RegistryChange.validate(changes)
        try checkOpen()
        do {
            return try await pool.write { db in
                let current = try Self.currentRevision(db)
                if changes.isEmpty { return current }
                let revision = current + 1
                for change in changes {
                    let stored = try Self.storedVersion(db, change.key)
                    guard change.expectation.isMet(byStoredVersion: stored) else {
                        throw RegistryError.conflict(change.key, expected: change.expectation, stored: stored)
                    }
                    try Self.apply(change, at: revision, db)
                }
                try db.execute(sql: "UPDATE registry_revision SET revision = ?", arguments: [revision])
                return revision
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw RegistryError(translating: error, "Cannot commit \(changes.count) changes to \(path).")
        }
    }

    /// The registry revision and every rollout state, read at one revision, for the change feed.
    func revisionAndRolloutStates() async throws -> (revision: Int64, states: [Versioned<RolloutState>]) {
        let cache = decodedRolloutStates
        let states = try await read("list rollout states") { db in try Self.fetchRolloutStates(db, reusing: cache) }
        keep(states)
        return (states.revision, states.all)
    }

    /// The registry revision and each rollout state's version by service, read at one revision, for the change
    /// feed: no spec is decoded.
    func revisionAndRolloutStateVersions() async throws -> (revision: Int64, versions: [String: Int64]) {
        try await read("list rollout state versions") { db in
            let revision = try Self.currentRevision(db)
            let rows = try Row.fetchAll(db, sql: "SELECT service, version FROM rollout_state")
            let versions = try rows.map {
                (try $0.decode(String.self, forColumn: "service"), try $0.decode(Int64.self, forColumn: "version"))
            }
            return (revision, Dictionary(versions) { _, last in last })
        }
    }

    /// Keeps `states` for the next read, unless a concurrent read already kept a later revision.
    private func keep(_ states: RolloutStateCache) {
        if states.revision > decodedRolloutStates.revision { decodedRolloutStates = states }
    }

    /// The revision of the last commit that wrote anything, for the change feed's poll.
    func revision() async throws -> Int64 {
        try await read("read the registry revision") { db in try Self.currentRevision(db) }
    }

    public func ping() async throws {
        _ = try await read("ping") { db in try Self.currentRevision(db) }
    }

    public func close() async throws {
        if isClosed { return }
        isClosed = true
        do {
            try pool.close()
        } catch {
            throw RegistryError(translating: error, "Cannot close the registry at \(path).")
        }
    }

    /// The SQLite journal mode in force (`wal` when all is well), for diagnostics and tests.
    public func journalMode() async throws -> String {
        try await read("read the journal mode") { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    private func checkOpen() throws {
        if isClosed { throw RegistryError(.unavailable, "The registry at \(path) is closed.") }
    }

    private func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws
        -> T
    {
        try checkOpen()
        do {
            return try await pool.read(body)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw RegistryError(translating: error, "Cannot \(what) in \(path).")
        }
    }
}

extension RegistryError {
    /// `error` as a registry error: registry errors and cancellation pass through, SQLite result codes map to
    /// the code a caller can act on.
    init(translating error: any Error, _ message: String) {
        if let error = error as? RegistryError {
            self = error
            return
        }
        guard let error = error as? DatabaseError else {
            self.init(.io, message, underlying: error)
            return
        }
        switch error.resultCode.primaryResultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_MISUSE: self.init(.unavailable, message, underlying: error)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_FORMAT: self.init(.corrupt, message, underlying: error)
        default: self.init(.io, message, underlying: error)
        }
    }

    static func conflict(_ key: RegistryRecordKey, expected: RecordExpectation, stored: Int64?) -> RegistryError {
        let found = stored.map { "it is at version \($0)" } ?? "it does not exist"
        let wanted: String
        switch expected {
        case .any: wanted = "anything"
        case .absent: wanted = "no record"
        case .version(let version): wanted = "version \(version)"
        }
        return RegistryError(
            .conflict, "The commit expected \(wanted) for \(key), but \(found); nothing was applied.", record: key)
    }
}
