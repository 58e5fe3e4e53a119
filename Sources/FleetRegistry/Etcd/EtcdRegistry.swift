import AsyncHTTPClient
import FleetModel
import Foundation

/// The shared live registry: records kept in etcd v3, reached through etcd's JSON gateway (`/v3/kv/…`).
///
/// Keeps the whole ``Registry`` contract with etcd's own guarantees: a record's version is its key's
/// `mod_revision`, a commit is one etcd txn (so it is atomic and its writes share one revision), and
/// expectations are txn compares. Several controllers (processes, hosts) can use one etcd at once; when the
/// registry is fenced (``EtcdConfiguration/fence`` or ``setFence(_:)``), a commit also requires the leader key
/// to be the one this process won, so a deposed leader cannot write (it gets `.fenced`).
///
/// Every commit also keeps the discovery keys: `<prefix>/endpoints/<service>/<instance>` holds the JSON of
/// each published instance (``InstanceRecord/isPublished``: address, ports, spec hash, revision), written in
/// the same txn as the record, so load balancers and clients can watch the serving set with any etcd client.
public actor EtcdRegistry: Registry {
    public nonisolated let configuration: EtcdConfiguration
    let coding: EtcdRecordCoding
    /// The leader fence every commit compares; starts as the configuration's.
    public private(set) var fence: EtcdConfiguration.Fence?
    let client: HTTPClient
    var closed = false
    /// The auth token of the current session, when the configuration has credentials.
    var token: String?
    /// The endpoint that answered last; calls start there so a failed endpoint is not retried each time.
    var endpointIndex = 0

    /// Prepares a registry on `configuration`; nothing is contacted until the first call (use ``ping()``).
    public init(configuration: EtcdConfiguration) throws {
        guard !configuration.endpoints.isEmpty else {
            throw RegistryError(.invalid, "The etcd configuration names no endpoint; give at least one client URL.")
        }
        self.configuration = configuration
        self.coding = EtcdRecordCoding(prefix: configuration.prefix)
        self.fence = configuration.fence
        self.client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: try Self.clientConfiguration(configuration))
    }

    public func instances(service: String?) async throws -> [Versioned<InstanceRecord>] {
        let response = try await range(prefix: coding.instancesPrefix)
        return try decodeInstances(response.kvs ?? []).filter { service == nil || $0.record.service == service }
    }

    public func instance(id: String) async throws -> Versioned<InstanceRecord>? {
        try await rangeOne(.instance(id)).map { try decodeInstance($0, key: .instance(id)) }
    }

    public func rolloutStates() async throws -> [Versioned<RolloutState>] {
        try decodeRolloutStates(try await range(prefix: coding.rolloutsPrefix).kvs ?? [])
    }

    public func rolloutState(service: String) async throws -> Versioned<RolloutState>? {
        try await rangeOne(.rolloutState(service)).map { try decodeRolloutState($0, key: .rolloutState(service)) }
    }

    public func snapshot() async throws -> RegistrySnapshot {
        // One range over the whole prefix is served at one revision, so the snapshot is consistent.
        let response = try await range(prefix: coding.everythingPrefix)
        let kvs = response.kvs ?? []
        let instances = kvs.filter { $0.key.flatMap(Self.text).map { $0.hasPrefix(coding.instancesPrefix) } ?? false }
        let rollouts = kvs.filter { $0.key.flatMap(Self.text).map { $0.hasPrefix(coding.rolloutsPrefix) } ?? false }
        let controls = kvs.first { $0.key.flatMap(Self.text) == coding.fleetControlsKey }
        return RegistrySnapshot(
            revision: try Self.revision(response.header),
            instances: try decodeInstances(instances),
            rolloutStates: try decodeRolloutStates(rollouts),
            fleetControls: try controls.map { try decodeFleetControls($0) })
    }

    public func fleetControls() async throws -> Versioned<FleetControls>? {
        try await rangeOne(.fleetControls).map { try decodeFleetControls($0) }
    }

    private func decodeFleetControls(_ kv: EtcdWire.KeyValue) throws -> Versioned<FleetControls> {
        Versioned(
            try coding.decode(FleetControls.self, kv.value, key: .fleetControls),
            version: try Self.version(kv, key: .fleetControls))
    }

    @discardableResult
    public func commit(_ changes: [RegistryChange]) async throws -> Int64 {
        try checkOpen()
        try RegistryChange.validate(changes)
        // Unfenced, an empty commit only reads the revision; fenced, it is a txn that confirms leadership.
        if changes.isEmpty && fence == nil { return try await currentRevision() }

        var compares: [EtcdWire.Compare] = []
        // On failure the txn reads every compared key at the revision it failed at, to name the culprit.
        var failureReads: [EtcdWire.RequestOp] = []
        if let fence {
            compares.append(
                EtcdWire.Compare(
                    target: "CREATE", key: EtcdWire.base64(fence.key), createRevision: String(fence.createRevision)))
            failureReads.append(
                EtcdWire.RequestOp(requestRange: EtcdWire.RangeRequest(key: EtcdWire.base64(fence.key))))
        }
        var checked: [RegistryChange] = []
        var operations: [EtcdWire.RequestOp] = []
        for change in changes {
            let key = EtcdWire.base64(coding.key(change.key))
            switch change.expectation {
            case .any: break
            case .absent: compares.append(EtcdWire.Compare(target: "CREATE", key: key, createRevision: "0"))
            case .version(let version):
                compares.append(EtcdWire.Compare(target: "MOD", key: key, modRevision: String(version)))
            }
            if change.expectation != .any {
                checked.append(change)
                failureReads.append(EtcdWire.RequestOp(requestRange: EtcdWire.RangeRequest(key: key)))
            }
            operations.append(try operation(change, key: key))
            operations.append(contentsOf: try await endpointOperations(change))
        }

        let response: EtcdWire.TxnResponse = try await call(
            "/v3/kv/txn", EtcdWire.TxnRequest(compare: compares, success: operations, failure: failureReads))
        if response.succeeded == true { return try Self.revision(response.header) }
        throw refusal(response, checked: checked)
    }

    /// Changes the leader fence future commits compare (a newly won election, or a lost one).
    public func setFence(_ fence: EtcdConfiguration.Fence?) {
        self.fence = fence
    }

    public func ping() async throws {
        _ = try await currentRevision()
    }

    public func close() async throws {
        guard !closed else { return }
        closed = true
        try await client.shutdown()
    }

    // MARK: - Commits

    private func operation(_ change: RegistryChange, key: String) throws -> EtcdWire.RequestOp {
        do {
            switch change {
            case .putInstance(let record, _):
                return EtcdWire.RequestOp(requestPut: EtcdWire.PutRequest(key: key, value: try coding.value(record)))
            case .putRolloutState(let state, _):
                return EtcdWire.RequestOp(requestPut: EtcdWire.PutRequest(key: key, value: try coding.value(state)))
            case .putFleetControls(let controls, _):
                return EtcdWire.RequestOp(
                    requestPut: EtcdWire.PutRequest(key: key, value: try coding.value(controls)))
            case .deleteInstance, .deleteRolloutState, .deleteFleetControls:
                return EtcdWire.RequestOp(requestDeleteRange: EtcdWire.DeleteRangeRequest(key: key))
            }
        } catch {
            throw RegistryError(.invalid, "The \(change.key) cannot be encoded.", record: change.key, underlying: error)
        }
    }

    /// The discovery key changes that go with `change`: a published instance's endpoint is put, any other
    /// instance's removed. A deleted record's service is read first, since the key is named by it.
    private func endpointOperations(_ change: RegistryChange) async throws -> [EtcdWire.RequestOp] {
        let record: InstanceRecord
        switch change {
        case .putInstance(let put, _):
            record = put
        case .deleteInstance(let id, _):
            guard let stored = try await instance(id: id) else { return [] }
            record = stored.record
        case .putRolloutState, .deleteRolloutState, .putFleetControls, .deleteFleetControls:
            return []
        }
        let key = EtcdWire.base64(coding.endpointKey(service: record.service, instance: record.id))
        guard record.isPublished, case .putInstance = change else {
            return [EtcdWire.RequestOp(requestDeleteRange: EtcdWire.DeleteRangeRequest(key: key))]
        }
        let endpoint = DiscoveryEndpoint(record)
        return [EtcdWire.RequestOp(requestPut: EtcdWire.PutRequest(key: key, value: try coding.value(endpoint)))]
    }

    /// Why a txn did not apply, from the keys it read back in its failure branch (fence first, then each
    /// expectation in commit order).
    private func refusal(_ response: EtcdWire.TxnResponse, checked: [RegistryChange]) -> RegistryError {
        var reads = (response.responses ?? []).map { $0.responseRange?.kvs?.first }
        if let fence {
            let current = reads.isEmpty ? nil : reads.removeFirst()
            let createRevision = current?.createRevision?.value ?? 0
            if createRevision != fence.createRevision {
                let found = createRevision == 0 ? "it no longer exists" : "it was created anew at \(createRevision)"
                return RegistryError(
                    .fenced,
                    "This controller no longer holds the leader key '\(fence.key)' (created at \(fence.createRevision)); "
                        + "\(found), so another controller may be leading. Nothing was applied.")
            }
        }
        for (index, change) in checked.enumerated() {
            let stored = index < reads.count ? reads[index]?.modRevision?.value : nil
            if !change.expectation.isMet(byStoredVersion: stored) {
                return RegistryError.conflict(change.key, expected: change.expectation, stored: stored)
            }
        }
        // The failure branch reads at the revision the compares failed at, so one of them shows the mismatch;
        // should none, the fence is the only compare left that can have failed.
        guard let first = checked.first else {
            return RegistryError(.fenced, "etcd refused the commit on the leader fence; nothing was applied.")
        }
        return RegistryError(
            .conflict, "The commit's expectations did not hold at etcd; nothing was applied.", record: first.key)
    }

    // MARK: - Reads

    private func range(prefix: String) async throws -> EtcdWire.RangeResponse {
        try await call(
            "/v3/kv/range",
            EtcdWire.RangeRequest(key: EtcdWire.base64(prefix), rangeEnd: EtcdWire.rangeEnd(ofPrefix: prefix)))
    }

    private func rangeOne(_ record: RegistryRecordKey) async throws -> EtcdWire.KeyValue? {
        let response: EtcdWire.RangeResponse = try await call(
            "/v3/kv/range", EtcdWire.RangeRequest(key: EtcdWire.base64(coding.key(record))))
        return response.kvs?.first
    }

    private func currentRevision() async throws -> Int64 {
        let response: EtcdWire.RangeResponse = try await call(
            "/v3/kv/range",
            EtcdWire.RangeRequest(key: EtcdWire.base64(coding.everythingPrefix), countOnly: true))
        return try Self.revision(response.header)
    }

    private func decodeInstances(_ kvs: [EtcdWire.KeyValue]) throws -> [Versioned<InstanceRecord>] {
        try kvs.compactMap { kv -> Versioned<InstanceRecord>? in
            guard let key = kv.key.flatMap(Self.text).flatMap(coding.record(forKey:)) else { return nil }
            return try decodeInstance(kv, key: key)
        }
        .sorted { ($0.record.createdAt, $0.record.id) < ($1.record.createdAt, $1.record.id) }
    }

    private func decodeRolloutStates(_ kvs: [EtcdWire.KeyValue]) throws -> [Versioned<RolloutState>] {
        try kvs.compactMap { kv -> Versioned<RolloutState>? in
            guard let key = kv.key.flatMap(Self.text).flatMap(coding.record(forKey:)) else { return nil }
            return try decodeRolloutState(kv, key: key)
        }
        .sorted { $0.record.service < $1.record.service }
    }

    private func decodeInstance(_ kv: EtcdWire.KeyValue, key: RegistryRecordKey) throws -> Versioned<InstanceRecord> {
        Versioned(try coding.decode(InstanceRecord.self, kv.value, key: key), version: try Self.version(kv, key: key))
    }

    private func decodeRolloutState(_ kv: EtcdWire.KeyValue, key: RegistryRecordKey) throws -> Versioned<RolloutState> {
        Versioned(try coding.decode(RolloutState.self, kv.value, key: key), version: try Self.version(kv, key: key))
    }

    private static func version(_ kv: EtcdWire.KeyValue, key: RegistryRecordKey) throws -> Int64 {
        guard let version = kv.modRevision?.value, version > 0 else {
            throw RegistryError(.corrupt, "etcd returned the \(key) without a mod_revision.", record: key)
        }
        return version
    }

    static func revision(_ header: EtcdWire.Header?) throws -> Int64 {
        guard let revision = header?.revision?.value else {
            throw RegistryError(.corrupt, "etcd answered without a header revision.")
        }
        return revision
    }

    private static func text(_ base64: String) -> String? {
        Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
    }

    func checkOpen() throws {
        if closed { throw RegistryError(.unavailable, "The etcd registry is closed.") }
    }
}
