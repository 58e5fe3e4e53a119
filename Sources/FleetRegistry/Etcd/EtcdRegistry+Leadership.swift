import Foundation

/// The etcd primitives of leader election: leases, and a campaign that creates the leader key only when it
/// does not exist. ``LeaderElection`` drives them; the key's `create_revision` is what fences a leader.
extension EtcdRegistry {
    /// Who holds the leader key after a campaign.
    public enum Campaign: Sendable, Equatable {
        /// This lease holds the key; `createRevision` is the fence of its leadership.
        case won(createRevision: Int64)
        /// Another controller holds it.
        case held(by: String, createRevision: Int64)
    }

    /// The election key of the controllers sharing this registry's prefix: `<prefix>/leader`.
    public nonisolated var leaderKey: String { coding.leaderKey }

    /// The prefix of every rollout state, to watch for changes made by others (a retry).
    public nonisolated var rolloutsPrefix: String { coding.rolloutsPrefix }

    /// Grants a lease that lives `ttl` unless kept alive; returns its id.
    public func grantLease(ttl: Duration) async throws -> Int64 {
        let seconds = max(ttl.components.seconds, 2)
        let response: EtcdWire.LeaseGrantResponse = try await call(
            "/v3/lease/grant", EtcdWire.LeaseRequest(ttl: String(seconds), id: "0"), encoder: EtcdWire.plainEncoder)
        guard let id = response.id?.value, id != 0 else {
            throw RegistryError(
                .unavailable, "etcd granted no lease: \(response.error ?? "no lease id in the answer").")
        }
        return id
    }

    /// Renews `lease`; returns the time it has left, or nil when it has already expired.
    public func keepAlive(lease: Int64) async throws -> Duration? {
        let response: EtcdWire.LeaseKeepAliveResponse = try await call(
            "/v3/lease/keepalive", EtcdWire.LeaseRequest(id: String(lease)), encoder: EtcdWire.plainEncoder)
        guard let ttl = response.result?.ttl?.value, ttl > 0 else { return nil }
        return .seconds(ttl)
    }

    /// Revokes `lease`, deleting every key bound to it (the leader key, when this lease held it).
    public func revokeLease(_ lease: Int64) async throws {
        do {
            let _: EtcdWire.Empty = try await call(
                "/v3/lease/revoke", EtcdWire.LeaseRequest(id: String(lease)), encoder: EtcdWire.plainEncoder)
        } catch let error as RegistryError where error.message.contains("lease not found") {
            // Already expired: the key it held is gone either way.
        }
    }

    /// Creates the leader key holding `identity`, bound to `lease`, if no one holds it; a key this lease
    /// already holds counts as won, so a leader that lost touch with etcd for a moment keeps its fence.
    public func campaign(identity: String, lease: Int64) async throws -> Campaign {
        let key = EtcdWire.base64(leaderKey)
        let request = EtcdWire.TxnRequest(
            compare: [EtcdWire.Compare(target: "CREATE", key: key, createRevision: "0")],
            success: [
                EtcdWire.RequestOp(
                    requestPut: EtcdWire.PutRequest(key: key, value: EtcdWire.base64(identity), lease: String(lease)))
            ],
            failure: [EtcdWire.RequestOp(requestRange: EtcdWire.RangeRequest(key: key))])
        let response: EtcdWire.TxnResponse = try await call("/v3/kv/txn", request)
        if response.succeeded == true { return .won(createRevision: try Self.revision(response.header)) }
        guard let holder = response.responses?.first?.responseRange?.kvs?.first,
            let createRevision = holder.createRevision?.value
        else {
            // Deleted between the compare and the read: nobody holds it; the next campaign will tell.
            return .held(by: "", createRevision: 0)
        }
        if holder.lease?.value == lease { return .won(createRevision: createRevision) }
        let name = holder.value.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        return .held(by: name ?? "", createRevision: createRevision)
    }
}
