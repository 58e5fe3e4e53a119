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

    /// Releases what the runtime holds open (connections to engines); its instances keep running. Called once,
    /// when the runtime is no longer used.
    func close() async
}

extension Runtime {
    /// Nothing to release.
    public func close() async {}
}
