import GRDB

extension SQLiteRegistry {
    /// The schema's migrations, oldest first. Never edit a shipped migration; append a new one.
    ///
    /// Dates are INTEGER milliseconds since 1970 (``RegistryTimestamp``); `ports` and `failed_spec_hashes`
    /// are JSON; `version` is the registry revision that last wrote the row; `registry_revision` holds the
    /// latest revision in its single row.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: instances, rollout states, revision") { db in
            try db.execute(
                sql: """
                    CREATE TABLE registry_revision (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        revision INTEGER NOT NULL
                    );
                    INSERT INTO registry_revision (id, revision) VALUES (1, 0);

                    CREATE TABLE instance (
                        id TEXT PRIMARY KEY NOT NULL,
                        service TEXT NOT NULL,
                        spec_hash TEXT NOT NULL,
                        revision TEXT,
                        image TEXT NOT NULL,
                        state TEXT NOT NULL,
                        address TEXT,
                        ports TEXT NOT NULL,
                        runtime_handle TEXT,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        reason TEXT,
                        version INTEGER NOT NULL
                    );
                    CREATE INDEX instance_by_service ON instance (service, created_at, id);
                    CREATE INDEX instance_by_creation ON instance (created_at, id);

                    CREATE TABLE rollout_state (
                        service TEXT PRIMARY KEY NOT NULL,
                        target_spec_hash TEXT NOT NULL,
                        target_revision TEXT,
                        last_good_spec_hash TEXT,
                        last_good_revision TEXT,
                        failed_spec_hashes TEXT NOT NULL,
                        phase TEXT NOT NULL,
                        step INTEGER NOT NULL,
                        started_at INTEGER NOT NULL,
                        last_progress_at INTEGER NOT NULL,
                        message TEXT,
                        version INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2: last good spec") { db in
            try db.execute(sql: "ALTER TABLE rollout_state ADD COLUMN last_good_spec TEXT")
        }
        migrator.registerMigration("v3: specs of the target and the failed specs") { db in
            try db.execute(sql: "ALTER TABLE rollout_state ADD COLUMN tried_specs TEXT")
        }
        migrator.registerMigration("v4: kept output of failed instances") { db in
            try db.execute(sql: "ALTER TABLE instance ADD COLUMN kept_output TEXT")
        }
        migrator.registerMigration("v5: operator controls") { db in
            try db.execute(
                sql: """
                    ALTER TABLE rollout_state ADD COLUMN previous_good_spec TEXT;
                    ALTER TABLE rollout_state ADD COLUMN previous_good_revision TEXT;
                    ALTER TABLE rollout_state ADD COLUMN suspended TEXT;
                    ALTER TABLE rollout_state ADD COLUMN pin TEXT;

                    CREATE TABLE fleet_controls (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        suspended TEXT,
                        version INTEGER NOT NULL
                    );
                    """)
        }
        return migrator
    }()

    /// Brings the file at `path` to the current schema, refusing one that a newer build migrated further.
    static func migrate(_ pool: DatabasePool, path: String) throws {
        do {
            let unknown = try pool.read { db in
                try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
            }
            if !unknown.isEmpty {
                throw RegistryError(
                    .incompatible,
                    "The registry at \(path) was written by a newer gitfleet (unknown schema migrations: "
                        + "\(unknown.sorted().joined(separator: ", "))). Run that version, or restore a backup.")
            }
            try migrator.migrate(pool)
        } catch {
            throw RegistryError(translating: error, "Cannot migrate the registry at \(path).")
        }
    }
}
