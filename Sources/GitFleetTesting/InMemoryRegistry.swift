import FleetModel
import FleetRegistry
import Foundation
import NIOConcurrencyHelpers

/// A ``Registry`` held in memory, for tests of the controller's logic: it keeps the whole contract that
/// `RegistryConformance` checks (versions, compare-and-swap, atomic commits, whole-commit reads, dates kept
/// to milliseconds, the change feed) except durability, which is what SQLite and etcd are for.
///
/// Several handles may share one store (``init(sharing:)``), as processes share a SQLite file or an etcd
/// prefix: each handle closes on its own, and a commit through any of them is reported on every handle's feed.
public final class InMemoryRegistry: Registry {
    /// The records every handle on one store sees.
    final class Store: Sendable {
        struct State {
            var revision: Int64 = 0
            var instances: [String: Versioned<InstanceRecord>] = [:]
            var rolloutStates: [String: Versioned<RolloutState>] = [:]
            var fleetControls: Versioned<FleetControls>?
            var feeds: [UUID: AsyncThrowingStream<[RolloutStateChange], any Error>.Continuation] = [:]
        }

        let state = NIOLockedValueBox(State())
    }

    private let store: Store
    private let isClosed = NIOLockedValueBox(false)
    /// The feeds this handle gave out, ended when it closes.
    private let feedIDs = NIOLockedValueBox(Set<UUID>())

    /// A new, empty store.
    public init() {
        store = Store()
    }

    /// Another handle on `other`'s store, as another process would open the same registry.
    public init(sharing other: InMemoryRegistry) {
        store = other.store
    }

    public func instances(service: String?) async throws -> [Versioned<InstanceRecord>] {
        try read { Self.ordered($0.instances.values.filter { service == nil || $0.record.service == service }) }
    }

    public func instance(id: String) async throws -> Versioned<InstanceRecord>? {
        try read { $0.instances[id] }
    }

    public func rolloutStates() async throws -> [Versioned<RolloutState>] {
        try read { $0.rolloutStates.values.sorted { $0.record.service < $1.record.service } }
    }

    public func rolloutState(service: String) async throws -> Versioned<RolloutState>? {
        try read { $0.rolloutStates[service] }
    }

    public func fleetControls() async throws -> Versioned<FleetControls>? {
        try read { $0.fleetControls }
    }

    public func snapshot() async throws -> RegistrySnapshot {
        try read { state in
            RegistrySnapshot(
                revision: state.revision, instances: Self.ordered(Array(state.instances.values)),
                rolloutStates: state.rolloutStates.values.sorted { $0.record.service < $1.record.service },
                fleetControls: state.fleetControls)
        }
    }

    @discardableResult
    public func commit(_ changes: [RegistryChange]) async throws -> Int64 {
        try RegistryChange.validate(changes)
        try checkOpen()
        return try store.state.withLockedValue { state in
            if changes.isEmpty { return state.revision }
            for change in changes {
                let stored: Int64?
                switch change.key {
                case .instance(let id): stored = state.instances[id]?.version
                case .rolloutState(let service): stored = state.rolloutStates[service]?.version
                case .fleetControls: stored = state.fleetControls?.version
                }
                guard change.expectation.isMet(byStoredVersion: stored) else {
                    throw RegistryError(
                        .conflict,
                        "The commit expected \(change.expectation) for \(change.key), but "
                            + (stored.map { "it is at version \($0)" } ?? "it does not exist")
                            + "; nothing was applied.",
                        record: change.key)
                }
            }
            let revision = state.revision + 1
            state.revision = revision
            var reported: [RolloutStateChange] = []
            for change in changes {
                switch change {
                case .putInstance(let record, _):
                    state.instances[record.id] = Versioned(Self.normalized(record), version: revision)
                case .deleteInstance(let id, _):
                    state.instances[id] = nil
                case .putRolloutState(let rollout, _):
                    let stored = Versioned(Self.normalized(rollout), version: revision)
                    state.rolloutStates[rollout.service] = stored
                    reported.append(RolloutStateChange(service: rollout.service, state: stored))
                case .deleteRolloutState(let service, _):
                    if state.rolloutStates.removeValue(forKey: service) != nil {
                        reported.append(RolloutStateChange(service: service, state: nil))
                    }
                case .putFleetControls(var controls, _):
                    if let at = controls.suspended?.at { controls.suspended?.at = RegistryTimestamp.normalized(at) }
                    state.fleetControls = Versioned(controls, version: revision)
                case .deleteFleetControls:
                    state.fleetControls = nil
                }
            }
            if !reported.isEmpty {
                for feed in state.feeds.values { feed.yield(reported) }
            }
            return revision
        }
    }

    public func rolloutStateChanges() -> AsyncThrowingStream<[RolloutStateChange], any Error> {
        let (stream, continuation) = AsyncThrowingStream<[RolloutStateChange], any Error>.makeStream()
        if isClosed.withLockedValue({ $0 }) {
            continuation.finish(throwing: RegistryError(.unavailable, "The in-memory registry is closed."))
            return stream
        }
        let id = UUID()
        store.state.withLockedValue { $0.feeds[id] = continuation }
        feedIDs.withLockedValue { _ = $0.insert(id) }
        let store = store
        continuation.onTermination = { _ in store.state.withLockedValue { _ = $0.feeds.removeValue(forKey: id) } }
        return stream
    }

    public func ping() async throws {
        try checkOpen()
    }

    public func close() async throws {
        let wasClosed = isClosed.withLockedValue { closed in
            defer { closed = true }
            return closed
        }
        if wasClosed { return }
        let ids = feedIDs.withLockedValue { $0 }
        let feeds = store.state.withLockedValue { state in ids.compactMap { state.feeds.removeValue(forKey: $0) } }
        for feed in feeds { feed.finish() }
    }

    private func checkOpen() throws {
        if isClosed.withLockedValue({ $0 }) {
            throw RegistryError(.unavailable, "The in-memory registry is closed.")
        }
    }

    private func read<T>(_ body: (Store.State) -> T) throws -> T {
        try checkOpen()
        return store.state.withLockedValue { body($0) }
    }

    private static func ordered(_ instances: [Versioned<InstanceRecord>]) -> [Versioned<InstanceRecord>] {
        instances.sorted { ($0.record.createdAt, $0.record.id) < ($1.record.createdAt, $1.record.id) }
    }

    /// Dates as every registry keeps them: whole milliseconds.
    private static func normalized(_ record: InstanceRecord) -> InstanceRecord {
        var record = record
        record.createdAt = RegistryTimestamp.normalized(record.createdAt)
        record.updatedAt = RegistryTimestamp.normalized(record.updatedAt)
        return record
    }

    private static func normalized(_ state: RolloutState) -> RolloutState {
        var state = state
        state.startedAt = RegistryTimestamp.normalized(state.startedAt)
        state.lastProgressAt = RegistryTimestamp.normalized(state.lastProgressAt)
        if let at = state.suspended?.at { state.suspended?.at = RegistryTimestamp.normalized(at) }
        if let at = state.pin?.attribution.at { state.pin?.attribution.at = RegistryTimestamp.normalized(at) }
        return state
    }
}
