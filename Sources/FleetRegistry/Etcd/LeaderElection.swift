import Foundation

/// Elects one leader among the controllers that share an etcd prefix, and fences the registry with it.
///
/// Each controller holds a lease and campaigns for `<prefix>/leader` with a txn that creates the key only
/// when it does not exist (its `create_revision` is 0). The winner keeps its lease alive every third of the
/// TTL and fences its registry on the key's `create_revision`, so once the key is gone (lease expired,
/// leader resigned) or held anew by another controller, its writes are refused. A leader steps down at once
/// when etcd says the lease has expired, or when it could not renew the lease for a whole TTL (it must assume
/// a standby has taken over). Followers watch the leader key and campaign the moment it is deleted (a leader
/// that resigns is replaced at once), and otherwise every third of the TTL, so a dead leader is replaced
/// within the TTL plus that interval.
public actor LeaderElection {
    public enum Role: Sendable, Equatable {
        case leader(createRevision: Int64)
        /// Following `leader` (its identity), or nobody known yet.
        case follower(leader: String?)
    }

    public nonisolated let identity: String
    public nonisolated let ttl: Duration
    let registry: EtcdRegistry
    /// Called on every change of role (and of the known leader), from the election's task.
    let onChange: @Sendable (Role) -> Void

    public private(set) var role: Role = .follower(leader: nil)
    /// Why the last campaign or renewal failed, while etcd cannot be reached; nil once it answers.
    public private(set) var problem: String?
    var lease: Int64?
    /// The latest moment the lease is known to live until, from the last renewal sent before etcd answered.
    var leaseValidUntil: ContinuousClock.Instant?

    public init(
        registry: EtcdRegistry, identity: String, ttl: Duration,
        onChange: @escaping @Sendable (Role) -> Void = { _ in }
    ) {
        self.registry = registry
        self.identity = identity
        self.ttl = ttl
        self.onChange = onChange
    }

    public var isLeader: Bool {
        if case .leader = role { return true }
        return false
    }

    /// Fences the registry until this controller wins: a follower's writes are refused.
    public func start() async {
        await registry.setFence(Self.neverFence(registry.leaderKey))
    }

    /// Campaigns and renews until cancelled, then resigns so a standby takes over without waiting a TTL.
    public func run() async {
        await start()
        while !Task.isCancelled {
            await step()
            if isLeader {
                try? await Task.sleep(for: ttl / 3)
            } else {
                await waitForVacancy(upTo: ttl / 3)
            }
        }
        // The calls to etcd must not inherit this task's cancellation, or the revoke would be cancelled
        // before it is sent and a standby would wait out the whole lease.
        await Task { await self.resign() }.value
    }

    /// Waits until the leader key is deleted (the leader resigned or its lease expired), so a standby
    /// campaigns at once instead of at its next round, or until `limit` passes.
    private func waitForVacancy(upTo limit: Duration) async {
        let changes = registry.watch(registry.leaderKey)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: limit) }
            group.addTask {
                do {
                    for try await events in changes where events.contains(where: { $0.kind == .delete }) { return }
                } catch {
                    // etcd unreachable: the round's own call will say so; wait out the round.
                }
                try? await Task.sleep(for: limit)
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// One round: renew the lease and keep leading, or campaign.
    public func step() async {
        do {
            if lease == nil {
                let sent = ContinuousClock.now
                lease = try await registry.grantLease(ttl: ttl)
                leaseValidUntil = sent.advanced(by: ttl)
            }
            guard let lease else { return }
            let sent = ContinuousClock.now
            if isLeader {
                guard try await registry.keepAlive(lease: lease) != nil else {
                    await stepDown(reason: "etcd says the lease has expired")
                    return
                }
                leaseValidUntil = sent.advanced(by: ttl)
                problem = nil
                return
            }
            switch try await registry.campaign(identity: identity, lease: lease) {
            case .won(let createRevision):
                // The lease must still be alive for the key to stay ours; renew before acting on it.
                guard try await registry.keepAlive(lease: lease) != nil else {
                    await stepDown(reason: "the lease expired while campaigning")
                    return
                }
                leaseValidUntil = sent.advanced(by: ttl)
                await registry.setFence(
                    EtcdConfiguration.Fence(key: registry.leaderKey, createRevision: createRevision))
                change(to: .leader(createRevision: createRevision))
            case .held(let holder, _):
                if try await registry.keepAlive(lease: lease) == nil { self.lease = nil }
                change(to: .follower(leader: holder.isEmpty ? nil : holder))
            }
            problem = nil
        } catch {
            problem = "\(error)"
            if let leaseValidUntil, ContinuousClock.now >= leaseValidUntil {
                // Unrenewed for a whole TTL: etcd may have expired it and elected another controller.
                lease = nil
                if isLeader { await stepDown(reason: "the lease could not be renewed for \(ttl): \(error)") }
            }
        }
    }

    /// Gives up leadership at once: deletes the leader key by revoking the lease, and fences every write.
    public func resign() async {
        if let lease { try? await registry.revokeLease(lease) }
        lease = nil
        await registry.setFence(Self.neverFence(registry.leaderKey))
        change(to: .follower(leader: nil))
    }

    /// Asks for a renewal at the next step because a fenced write was refused: leadership may be lost.
    public func fenceRefused() async {
        if isLeader { await stepDown(reason: "a registry write was refused by the leader fence") }
    }

    private func stepDown(reason: String) async {
        problem = reason
        lease = nil
        await registry.setFence(Self.neverFence(registry.leaderKey))
        change(to: .follower(leader: nil))
    }

    private func change(to newRole: Role) {
        guard newRole != role else { return }
        role = newRole
        onChange(newRole)
    }

    /// A fence no key ever matches (etcd revisions start at 1), so a follower cannot write by mistake.
    static func neverFence(_ key: String) -> EtcdConfiguration.Fence {
        EtcdConfiguration.Fence(key: key, createRevision: -1)
    }
}
