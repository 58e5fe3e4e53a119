import FleetModel

/// Where instances run: a local process supervisor today, a Docker Engine (or another host) later.
///
/// The contract every implementation keeps (checked by `RuntimeConformance` in GitFleetTesting):
///
/// - **Pinned content.** ``resolve(_:)`` turns a tag into a content digest; ``start(_:)`` only accepts a
///   pinned image and never runs content other than that digest. A tag that moved is reported, never absorbed.
/// - **Identity travels with the instance.** Every instance carries its instance id, service and spec hash
///   (as `GITFLEET_INSTANCE_ID`, `GITFLEET_SERVICE`, `GITFLEET_SPEC_HASH` in its environment and in the
///   runtime's own records), so a controller that restarts finds and adopts it by id.
/// - **Instances outlive the controller.** Killing the controller (even with SIGKILL) never kills an
///   instance; a new runtime object over the same state sees and controls everything the old one started.
/// - **Observed, not remembered.** ``inventory()`` reports what exists in the OS or engine right now,
///   never a cache, so the reconciler can trust it after any crash.
/// - **Idempotent verbs.** ``start(_:)`` of an id that exists returns that instance; ``stop(instanceID:gracePeriod:)``
///   and ``destroy(instanceID:keepLogs:)`` of something already stopped or gone succeed. The controller
///   retries steps after a crash, so a repeated step must not duplicate or fail.
/// - **Scoped.** A runtime acts for one fleet, its ``RuntimeScope``: it lists, stops, destroys, adopts and
///   reports exits of its own scope's instances only, and treats any other instance as if it did not exist,
///   so fleets sharing a host or a folder never remove each other's instances as drift.
/// - **Exits are reported.** ``exits()`` tells, as it happens, that an instance stopped running, so a settled
///   fleet notices a dead instance between reconcile passes.
/// - **Replace, never mutate.** There is no verb that changes a running instance. ``exec(instanceID:command:timeout:)``
///   exists only for exec health probes.
public protocol Runtime: Sendable {
    /// Pins `image` to the content digest (`sha256:<hex>`) the runtime holds for it now.
    ///
    /// Throws ``RuntimeError/Code-swift.enum/imageNotFound`` when the runtime has no such image, and
    /// ``RuntimeError/Code-swift.enum/imageChanged`` when `image` already carries a digest that differs from
    /// what the tag points at now.
    func resolve(_ image: ImageReference) async throws -> ImageReference

    /// Starts an instance, or returns the existing one when an instance with `launch.instanceID` exists
    /// (running or exited): a retried start never makes a second instance.
    func start(_ launch: InstanceLaunch) async throws -> RuntimeInstance

    /// Asks the instance to stop (SIGTERM or the engine's equivalent), waits up to `gracePeriod`, then
    /// kills it. Returns how it exited when the runtime can know, nil otherwise (or when it was already gone).
    /// Stopping something stopped or unknown succeeds.
    func stop(instanceID: String, gracePeriod: Duration) async throws -> ExitStatus?

    /// Removes a stopped instance and everything the runtime keeps for it, except its logs when `keepLogs`
    /// (kept as evidence for a quarantined instance; ``logs(instanceID:tail:)`` still reads them).
    /// A running instance is killed first. Destroying something unknown succeeds.
    func destroy(instanceID: String, keepLogs: Bool) async throws

    /// Every instance this runtime holds, running or exited, observed from the OS or engine.
    func inventory() async throws -> [RuntimeInstance]

    /// The last `lines` lines of the instance's output (stdout then stderr, each as captured).
    func logs(instanceID: String, tail lines: Int) async throws -> String

    /// Runs `command` next to a running instance, with its environment, and reports how it ended.
    /// Killed when `timeout` passes. For exec health probes only.
    func exec(instanceID: String, command: [String], timeout: Duration) async throws -> CommandResult

    /// Releases what the runtime holds open (connections to engines, its ``probeClient``); its instances keep
    /// running. Called once, when the runtime is no longer used.
    func close() async

    /// The client that carries the http and tcp health probes of this runtime's instances: one per runtime, so
    /// probes reuse its pooled connections, shut down by ``close()``.
    var probeClient: ProbeClient { get }

    /// Instances of this runtime's scope that stop running (they exit, are killed, or are removed behind the
    /// runtime's back), each reported soon after it happens (within a second or so), for as long as the
    /// caller iterates. A stop or destroy asked through this runtime is reported too, and an exit may be
    /// reported more than once: the stream says "look again", and the caller checks ``inventory()``. Exits
    /// while the runtime could not watch (an engine that did not answer) are reported once it watches again
    /// where the engine can replay them, and may be missed otherwise; the controller's resync covers those.
    /// Ending the iteration stops the watching.
    func exits() -> AsyncStream<InstanceExit>
}

extension Runtime {
    /// Nothing to release.
    public func close() async {}

    /// A runtime that owns no client (a test double) probes through ``ProbeClient/processWide``.
    public var probeClient: ProbeClient { .processWide }

    /// A runtime that cannot watch its instances reports nothing: the stream finishes at once, and exits are
    /// found by health probes and the resync.
    public func exits() -> AsyncStream<InstanceExit> {
        AsyncStream { $0.finish() }
    }
}

/// An instance that stopped running, as ``Runtime/exits()`` reports it.
public struct InstanceExit: Hashable, Sendable {
    public var instanceID: String
    public var service: String
    /// How it ended, when the runtime could tell (nil for a process that was not its child, or a container
    /// removed before it could be inspected).
    public var status: ExitStatus?

    public init(instanceID: String, service: String, status: ExitStatus?) {
        self.instanceID = instanceID
        self.service = service
        self.status = status
    }
}
