import FleetModel
import FleetRegistry
import Foundation
import GRDB
import GitFleetTesting
import Testing

/// What the SQLite registry promises beyond the shared contract: its file, its schema, its journal.
@Suite struct SQLiteRegistryTests {
    @Test func walJournalIsOn() async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        let registry = try SQLiteRegistry(path: directory.file())
        try await registry.commit([.putInstance(RegistryConformance.instance("web-1"))])
        #expect(try await registry.journalMode() == "wal")
        #expect(FileManager.default.fileExists(atPath: directory.file() + "-wal"))
        try await registry.close()
    }

    @Test func reopeningKeepsRecordsVersionsAndRevision() async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        let first = try SQLiteRegistry(path: directory.file())
        var record = RegistryConformance.instance("web-1")
        record.ports = ["http": 8080]
        record.reason = "kept across restarts"
        try await first.commit([.putInstance(record), .putRolloutState(RegistryConformance.rollout("web"))])
        try await first.commit([.putInstance(RegistryConformance.instance("web-2"))])
        let before = try await first.snapshot()
        try await first.close()

        let second = try SQLiteRegistry(path: directory.file())
        #expect(try await second.snapshot() == before)
        let next = try await second.commit([.deleteInstance(id: "web-2")])
        #expect(next > before.revision, "revisions keep increasing across a reopen")
        try await second.close()
    }

    /// Rollout states are decoded once per row version and kept: every read still answers what the file holds
    /// now, whoever wrote it (this registry or another process on the same file).
    @Test func rolloutStatesFollowEveryWriterThroughTheCache() async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        let reader = try SQLiteRegistry(path: directory.file())
        let writer = try SQLiteRegistry(path: directory.file())
        try await writer.commit([.putRolloutState(RegistryConformance.rollout("web"))])
        #expect(try await reader.rolloutStates().map(\.record.service) == ["web"])
        #expect(try await reader.rolloutStates() == reader.snapshot().rolloutStates)

        var web = RegistryConformance.rollout("web")
        web.phase = .paused
        try await writer.commit([.putRolloutState(web), .putRolloutState(RegistryConformance.rollout("api"))])
        let states = try await reader.rolloutStates()
        #expect(states.map(\.record.service) == ["api", "web"])
        #expect(states.last?.record.phase == .paused)
        #expect(try await reader.snapshot().rolloutStates == states)

        try await reader.commit([.deleteRolloutState(service: "api")])
        #expect(try await reader.rolloutStates().map(\.record.service) == ["web"])
        #expect(try await writer.rolloutStates() == reader.rolloutStates())
        try await reader.close()
        try await writer.close()
    }

    @Test func stateDirectoryIsCreated() async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        let stateDirectory = directory.url.appendingPathComponent("var/lib/gitfleet")
        let registry = try SQLiteRegistry(stateDirectory: stateDirectory)
        #expect(registry.path == stateDirectory.appendingPathComponent(SQLiteRegistry.fileName).path)
        try await registry.ping()
        try await registry.close()
        #expect(FileManager.default.fileExists(atPath: registry.path))
    }

    @Test func fileFromNewerSchemaIsRefused() async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        try await SQLiteRegistry(path: directory.file()).close()
        let queue = try DatabaseQueue(path: directory.file())
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2: from the future')")
        }
        try queue.close()

        do {
            _ = try SQLiteRegistry(path: directory.file())
            Issue.record("a registry migrated by a newer build was opened")
        } catch let error as RegistryError {
            #expect(error.code == .incompatible)
            #expect(error.message.contains("v2: from the future"))
        }
    }

    @Test func fileThatIsNotADatabaseIsCorrupt() async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        try Data(String(repeating: "not a database\n", count: 512).utf8).write(
            to: URL(fileURLWithPath: directory.file()))
        do {
            _ = try SQLiteRegistry(path: directory.file())
            Issue.record("a file that is not SQLite was opened as a registry")
        } catch let error as RegistryError {
            #expect(error.code == .corrupt, "\(error)")
        }
    }

    @Test func unreadableRowIsReportedAsCorrupt() async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        let registry = try SQLiteRegistry(path: directory.file())
        try await registry.commit([.putInstance(RegistryConformance.instance("web-1"))])
        let queue = try DatabaseQueue(path: directory.file())
        try await queue.write { db in
            try db.execute(sql: "UPDATE instance SET state = 'exploded' WHERE id = 'web-1'")
        }
        try queue.close()

        await #expect(throws: RegistryError.self) { try await registry.instances(service: nil) }
        do {
            _ = try await registry.instance(id: "web-1")
            Issue.record("an unknown state was read back")
        } catch let error as RegistryError {
            #expect(error.code == .corrupt)
            #expect(error.record == .instance("web-1"))
        }
        try await registry.close()
    }

    /// A `gitfleet status` next to a running controller: two handles on one file see each other's commits,
    /// and compare-and-swap holds across them.
    @Test func twoHandlesOnOneFileShareCommitsAndConflicts() async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        let controller = try SQLiteRegistry(path: directory.file())
        let status = try SQLiteRegistry(path: directory.file())
        try await controller.commit([.putInstance(RegistryConformance.instance("web-1"))])
        let seen = try #require(try await status.instance(id: "web-1"))
        #expect(seen.record.id == "web-1")

        try await controller.commit([
            .putInstance(RegistryConformance.instance("web-1", state: .serving), expecting: .version(seen.version))
        ])
        try await RegistryConformance.expectError(.conflict, record: .instance("web-1")) {
            try await status.commit([.deleteInstance(id: "web-1", expecting: .version(seen.version))])
        }
        #expect(try await status.instance(id: "web-1")?.record.state == .serving)
        try await controller.close()
        try await status.close()
    }
}
