import FleetModel

/// The controller's durable memory: every instance it created and, per service, where its rollout stands.
///
/// The controller writes its intent here *before* it touches the runtime, so a controller killed at any
/// instant resumes from what the registry says without leaking, duplicating or losing instances. Every
/// implementation (SQLite embedded, etcd shared) must pass `RegistryConformance` in GitFleetTesting and
/// keeps this contract:
///
/// **Records.** Three kinds, each stored whole: an ``InstanceRecord`` keyed by its `id`, a
/// ``RolloutState`` keyed by its `service`, and the one ``FleetControls`` record. The change feed reports rollout
/// states only; a reader of the fleet controls reads them each time it needs them. A put replaces the whole record; there are no partial updates.
/// Records come back exactly as they were put, field for field, except that dates are kept to whole
/// milliseconds since 1970 (see ``RegistryTimestamp``): a date read back equals
/// `RegistryTimestamp.normalized(date)` of the date written.
///
/// **Versions.** Every stored record carries a version: the revision of the commit that last wrote it
/// (etcd's `mod_revision`). Revisions are positive and increase with every commit that writes something,
/// across the whole registry, so a record's version strictly increases each time it is written, and
/// records written by one commit share one version, the revision that commit returns.
///
/// **Writes.** ``commit(_:)`` is the one write entry point. It applies a list of ``RegistryChange``s
/// atomically: all of them, or — when any expectation fails or anything else goes wrong — none. A failed
/// expectation throws ``RegistryError`` with code `.conflict` naming the record. A commit holds at most
/// ``RegistryChange/maximumPerCommit`` changes and names each record at most once (etcd refuses a
/// transaction that touches a key twice); otherwise it throws `.invalid` and applies nothing. An
/// implementation that fences writers (etcd, by the leader key's revision) throws `.fenced` when this
/// process may no longer write; nothing is applied then either. Deleting a record that does not exist,
/// without an expectation, is not an error. After `commit` returns, the change is durable: it survives the
/// process being killed and the registry being reopened. On etcd a commit is one txn: each expectation a
/// compare (`.absent` as `create_revision == 0`, `.version(v)` as `mod_revision == v`), each change a put or
/// delete of the record's JSON (dates as integer milliseconds), plus the leader fence.
///
/// **Reads.** Reads see only whole commits, never part of one. ``instances(service:)`` is ordered by
/// `createdAt`, then `id`; ``rolloutStates()`` by `service`. ``snapshot()`` reads everything at one
/// revision, for status output and backups.
///
/// **Concurrency.** Any number of tasks (and, for etcd, processes) may read and commit at once.
/// Compare-and-swap on versions is how writers avoid lost updates: of two commits expecting the same
/// version of a record, exactly one succeeds.
///
/// **Change feed.** ``rolloutStateChanges()`` reports the rollout states that changed after it was called, by
/// this process or any other sharing the store, so that an operator's write (`gitfleet retry`) is acted on at
/// once and not at the next resync. Each element is one batch, in revision order, naming each service whose state
/// was put or deleted with its state as stored after the change. A batch may fold several commits together and
/// report only the latest state of a record (a consumer re-reads what it acts on anyway), but no change is
/// missed while the stream runs, and a change shows within about a second (etcd: its watch; SQLite: the
/// registry revision polled every ``RegistryFeed/pollInterval``). The stream ends or throws when the store goes
/// away (etcd restarted, the registry closed); a consumer that must not miss a change re-reads and subscribes
/// again. Cancelling the consuming task ends the stream and releases what it held.
///
/// **Lifetime.** ``close()`` releases the store; calls after it throw `.unavailable`.
public protocol Registry: Sendable {
    /// Instances of `service`, or of every service when `nil`, ordered by `createdAt`, then `id`.
    func instances(service: String?) async throws -> [Versioned<InstanceRecord>]

    /// The instance with `id`, or `nil` when there is none.
    func instance(id: String) async throws -> Versioned<InstanceRecord>?

    /// Every service's rollout state, ordered by service name.
    func rolloutStates() async throws -> [Versioned<RolloutState>]

    /// The rollout state of `service`, or `nil` when none was stored.
    func rolloutState(service: String) async throws -> Versioned<RolloutState>?

    /// The fleet-wide controls (a suspension of every service), or `nil` when none were stored.
    func fleetControls() async throws -> Versioned<FleetControls>?

    /// Every record at a single revision.
    func snapshot() async throws -> RegistrySnapshot

    /// Applies `changes` atomically and returns the revision they were written at, which is the version of
    /// every record the commit put. An empty commit changes nothing and returns the current revision; on a
    /// fenced registry it still checks the fence, so it confirms that this process may act.
    @discardableResult
    func commit(_ changes: [RegistryChange]) async throws -> Int64

    /// The rollout states changed from now on, by any process sharing the store (see "Change feed" above).
    func rolloutStateChanges() -> AsyncThrowingStream<[RolloutStateChange], any Error>

    /// Succeeds when the registry can serve reads now; cheap enough for a readiness probe.
    func ping() async throws

    /// Releases the store. Idempotent.
    func close() async throws
}
