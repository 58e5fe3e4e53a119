import FleetModel

/// One write in a ``Registry/commit(_:)``. Puts store the whole record; deletes remove it.
public enum RegistryChange: Sendable, Hashable {
    case putInstance(InstanceRecord, expecting: RecordExpectation = .any)
    case deleteInstance(id: String, expecting: RecordExpectation = .any)
    case putRolloutState(RolloutState, expecting: RecordExpectation = .any)
    case deleteRolloutState(service: String, expecting: RecordExpectation = .any)
    case putFleetControls(FleetControls, expecting: RecordExpectation = .any)
    case deleteFleetControls(expecting: RecordExpectation = .any)

    /// The most changes one commit may hold. On etcd each instance change is two operations (the record and
    /// its discovery key), so 60 keeps a txn below etcd's default `--max-txn-ops` (128), which also
    /// has to fit the compares and the leader fence, so that code written against SQLite works on etcd.
    public static let maximumPerCommit = 60

    /// The record this change writes.
    public var key: RegistryRecordKey {
        switch self {
        case .putInstance(let record, _): return .instance(record.id)
        case .deleteInstance(let id, _): return .instance(id)
        case .putRolloutState(let state, _): return .rolloutState(state.service)
        case .deleteRolloutState(let service, _): return .rolloutState(service)
        case .putFleetControls, .deleteFleetControls: return .fleetControls
        }
    }

    /// What must hold of the record for the change (and its whole commit) to apply.
    public var expectation: RecordExpectation {
        switch self {
        case .putInstance(_, let expectation), .deleteInstance(_, let expectation),
            .putRolloutState(_, let expectation), .deleteRolloutState(_, let expectation),
            .putFleetControls(_, let expectation), .deleteFleetControls(let expectation):
            return expectation
        }
    }

    /// Checks the rules every implementation enforces before it writes anything: at most
    /// ``maximumPerCommit`` changes, each record named once, no empty keys.
    public static func validate(_ changes: [RegistryChange]) throws {
        if changes.count > maximumPerCommit {
            throw RegistryError(
                .invalid,
                "A commit holds \(changes.count) changes, more than the \(maximumPerCommit) allowed; split it.")
        }
        var seen: Set<RegistryRecordKey> = []
        for change in changes {
            let key = change.key
            if key.name.isEmpty {
                throw RegistryError(.invalid, "A change names \(key) with an empty key.", record: key)
            }
            if !seen.insert(key).inserted {
                throw RegistryError(
                    .invalid, "A commit names \(key) more than once; merge those changes into one.", record: key)
            }
        }
    }
}

/// What a change expects of the stored record, checked atomically with the write (compare-and-swap).
public enum RecordExpectation: Sendable, Hashable {
    /// Write whatever is stored.
    case any
    /// The record must not exist: create only.
    case absent
    /// The record must exist at exactly this version: nobody wrote it since it was read.
    case version(Int64)

    /// Whether a record stored at `version` (or absent, when `nil`) meets the expectation.
    public func isMet(byStoredVersion version: Int64?) -> Bool {
        switch self {
        case .any: return true
        case .absent: return version == nil
        case .version(let expected): return version == expected
        }
    }
}
