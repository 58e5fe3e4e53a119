import Crypto
import FleetModel
import FleetRuntime
import Foundation
import NIOConcurrencyHelpers

/// A ``Runtime`` whose instances live in memory and behave as the test says, for tests of the controller's
/// rollout logic: it keeps the contract that `RuntimeConformance` checks (pinned digests, idempotent verbs,
/// scopes, adoption by a new runtime object, exits reported, logs capped), but nothing is spawned.
///
/// Its instances play the demo service: an image's env carries `VERSION=<tag>`, and the demo's switches
/// script them — `DEMO_FAIL_HEALTH=1` (or an existing `DEMO_FAIL_HEALTH_FILE`) fails their probe,
/// `DEMO_START_DELAY` keeps them unhealthy that long after start, `DEMO_IGNORE_SIGTERM=1` makes a stop wait
/// its grace period and kill, `DEMO_LOG_LINES=n` prints n lines. `SCRIPTED_EXIT_CODE=n` makes an instance
/// exit with `n` as soon as it has started. A test also scripts instances as it goes: ``ScriptedHost/setHealthy(_:_:)``
/// and ``ScriptedHost/exit(_:status:)``.
///
/// Health probes see that script either way: an exec probe runs "next to" the instance and exits 0 when it
/// is healthy, 1 otherwise; with ``ScriptedHost/servesHTTP`` each named port is a real loopback listener that
/// answers `/` with the demo's JSON and `/healthz` with 200 or 500, so HTTP probes and the conformance suite's
/// requests are real.
public final class ScriptedRuntime: Runtime {
    public let host: ScriptedHost
    /// The fleet this runtime object acts for (see ``RuntimeScope``).
    public let scope: String

    /// A runtime object over `host`'s instances of `scope`; another one over the same host and scope stands
    /// for the controller after a restart.
    public init(host: ScriptedHost, scope: String = "default") {
        self.host = host
        self.scope = scope
    }

    public func resolve(_ image: ImageReference) async throws -> ImageReference {
        let stored = try host.image(image)
        return image.pinned(to: stored.digest)
    }

    public func start(_ launch: InstanceLaunch) async throws -> RuntimeInstance {
        guard InstanceLaunch.isValidInstanceID(launch.instanceID) else {
            throw RuntimeError(.invalidLaunch, "'\(launch.instanceID)' is not a valid instance id")
        }
        guard launch.image.digest != nil else {
            throw RuntimeError(.invalidLaunch, "image \(launch.image) is not pinned to a digest; resolve it first")
        }
        if let existing = try host.existing(scope: scope, launch: launch) { return existing }
        let image = try host.image(launch.image)
        if let program = launch.command.first, program.hasPrefix("/"), !FileManager.default.fileExists(atPath: program)
        {
            throw RuntimeError(.startFailed, "cannot run \(program) for instance \(launch.instanceID): no such file")
        }
        return try await host.start(launch, image: image, scope: scope)
    }

    public func stop(instanceID: String, gracePeriod: Duration) async throws -> ExitStatus? {
        try await host.stop(scope: scope, instanceID: instanceID, gracePeriod: gracePeriod)
    }

    public func destroy(instanceID: String, keepLogs: Bool) async throws {
        await host.destroy(scope: scope, instanceID: instanceID, keepLogs: keepLogs)
    }

    public func inventory() async throws -> [RuntimeInstance] {
        host.inventory(scope: scope)
    }

    public func logs(instanceID: String, tail lines: Int) async throws -> String {
        guard let output = host.output(scope: scope, instanceID: instanceID) else {
            throw RuntimeError(.notFound, "no instance \(instanceID) in scope \(scope)")
        }
        return output.split(separator: "\n", omittingEmptySubsequences: false).dropLast(output.hasSuffix("\n") ? 1 : 0)
            .suffix(lines).joined(separator: "\n")
    }

    public func exec(instanceID: String, command: [String], timeout: Duration) async throws -> CommandResult {
        guard let healthy = host.probe(scope: scope, instanceID: instanceID) else {
            throw RuntimeError(.notFound, "no running instance \(instanceID) in scope \(scope)")
        }
        return CommandResult(
            status: .exited(code: healthy ? 0 : 1), timedOut: false, output: healthy ? "ok" : "failing")
    }

    public func exits() -> AsyncStream<InstanceExit> {
        host.exits(scope: scope)
    }
}

/// The machine a ``ScriptedRuntime`` runs on: its images, its instances of every scope, and the clock their
/// script follows. Shared by every runtime object made over it.
public final class ScriptedHost: Sendable {
    struct Image {
        var digest: String
        var env: [String: String]
    }

    struct Instance {
        var launch: InstanceLaunch
        var observed: RuntimeInstance
        var env: [String: String]
        var started: ContinuousClock.Instant
        var healthy = true
        var output: String
        var servers: [ScriptedHTTPServer] = []
    }

    struct State {
        var images: [String: Image] = [:]
        var instances: [String: Instance] = [:]
        var keptLogs: [String: String] = [:]
        var watchers: [UUID: (scope: String, continuation: AsyncStream<InstanceExit>.Continuation)] = [:]
        var nextHandle = 1
        var nextPort = 20_000
    }

    /// What the script's delays and a stop's grace period wait on.
    public let clock: any FleetClock
    /// Whether instances listen on loopback for real (see ``ScriptedRuntime``); without, their ports are numbers.
    public let servesHTTP: Bool
    private let state = NIOLockedValueBox(State())

    public init(clock: any FleetClock = SystemClock(), servesHTTP: Bool = true) {
        self.clock = clock
        self.servesHTTP = servesHTTP
    }

    // MARK: - Scripting

    /// Installs (or replaces) the demo image `repository:tag` with `env` over `VERSION=<tag>`; `files` stand
    /// for content, so other files give another digest. Returns the reference, unpinned.
    @discardableResult
    public func installDemoImage(
        repository: String = DemoImage.defaultRepository, tag: String, env: [String: String] = [:],
        files: [String: String] = [:]
    ) -> ImageReference {
        let env = ["VERSION": tag].merging(env) { _, extra in extra }
        var content = "\(repository):\(tag)\n"
        for (name, value) in env.sorted(by: { $0.key < $1.key }) { content += "env \(name)=\(value)\n" }
        for (path, contents) in files.sorted(by: { $0.key < $1.key }) { content += "file \(path)=\(contents)\n" }
        let digest = "sha256:" + SHA256.hash(data: Data(content.utf8)).map { String(format: "%02x", $0) }.joined()
        state.withLockedValue { $0.images["\(repository):\(tag)"] = Image(digest: digest, env: env) }
        return ImageReference(repository: repository, tag: tag)
    }

    /// From now on `instanceID` (of any scope) passes its probes or fails them.
    public func setHealthy(_ instanceID: String, _ healthy: Bool) {
        state.withLockedValue { state in
            for key in Array(state.instances.keys) where state.instances[key]?.launch.instanceID == instanceID {
                state.instances[key]?.healthy = healthy
            }
        }
    }

    /// `instanceID` (of any scope) exits now with `status`, as if it crashed or was killed behind the
    /// controller's back.
    public func exit(_ instanceID: String, status: ExitStatus = .signaled(signal: 9)) async {
        let keys = state.withLockedValue { state in
            state.instances.keys.filter { state.instances[$0]?.launch.instanceID == instanceID }
        }
        for key in keys { await ended(key, status: status) }
    }

    /// Closes every listener; instances stay as they are.
    public func shutDown() async {
        let servers = state.withLockedValue { state -> [ScriptedHTTPServer] in
            var servers: [ScriptedHTTPServer] = []
            for key in Array(state.instances.keys) {
                servers += state.instances[key]?.servers ?? []
                state.instances[key]?.servers = []
            }
            return servers
        }
        for server in servers { await server.close() }
    }

    // MARK: - What the runtime objects do

    func image(_ reference: ImageReference) throws -> Image {
        let images = state.withLockedValue { $0.images }
        let found: Image?
        if let tag = reference.tag {
            found = images["\(reference.repository):\(tag)"]
        } else {
            found =
                images.first { $0.key.hasPrefix(reference.repository + ":") && $0.value.digest == reference.digest }?
                .value
        }
        guard let found else { throw RuntimeError(.imageNotFound, "no image \(reference) on the scripted host") }
        if let digest = reference.digest, digest != found.digest {
            throw RuntimeError(
                .imageChanged,
                "image \(reference) changed: it is now \(found.digest), not \(digest); resolve the tag again")
        }
        return found
    }

    func existing(scope: String, launch: InstanceLaunch) throws -> RuntimeInstance? {
        guard let instance = state.withLockedValue({ $0.instances[Self.key(scope, launch.instanceID)] }) else {
            return nil
        }
        guard instance.launch.specHash == launch.specHash else {
            throw RuntimeError(
                .invalidLaunch,
                "instance \(launch.instanceID) exists with spec \(instance.launch.specHash.short), not "
                    + "\(launch.specHash.short); an id is never reused for another spec")
        }
        return instance.observed
    }

    func start(_ launch: InstanceLaunch, image: Image, scope: String) async throws -> RuntimeInstance {
        let key = Self.key(scope, launch.instanceID)
        let env = image.env.merging(launch.env) { _, extra in extra }.merging([
            "GITFLEET_INSTANCE_ID": launch.instanceID, "GITFLEET_SERVICE": launch.service,
            "GITFLEET_SPEC_HASH": launch.specHash.rawValue,
        ]) { _, identity in identity }
        var ports: [String: Int] = [:]
        var servers: [ScriptedHTTPServer] = []
        for (name, requested) in launch.ports.sorted(by: { $0.key < $1.key }) {
            if servesHTTP {
                do {
                    let server = try await ScriptedHTTPServer.start(port: requested) { [weak self] target in
                        guard let self else { return (503, "text/plain", "gone\n") }
                        return self.answer(key, target: target)
                    }
                    servers.append(server)
                    ports[name] = server.port
                } catch {
                    for server in servers { await server.close() }
                    throw RuntimeError(.startFailed, "cannot listen on port \(requested) for \(launch.instanceID)")
                }
            } else {
                ports[name] =
                    requested != 0
                    ? requested
                    : state.withLockedValue { state in
                        defer { state.nextPort += 1 }
                        return state.nextPort
                    }
            }
        }
        var output = ""
        if let count = env["DEMO_LOG_LINES"].flatMap(Int.init) {
            for number in 1...max(count, 1) { output += "log line \(number) of \(count)\n" }
        }
        output += "gitfleet-demo \(env["VERSION"] ?? "") listening on 127.0.0.1:\(ports.values.min() ?? 0)\n"
        let clock = clock
        let instance = state.withLockedValue { state in
            defer { state.nextHandle += 1 }
            let observed = RuntimeInstance(
                instanceID: launch.instanceID, service: launch.service, specHash: launch.specHash,
                image: launch.image, handle: "scripted:\(state.nextHandle)", address: "127.0.0.1", ports: ports,
                status: .running, startedAt: clock.wallTime)
            state.instances[key] = Instance(
                launch: launch, observed: observed, env: env, started: clock.now,
                output: Self.capped(output, to: launch.logLimit), servers: servers)
            state.keptLogs[key] = nil
            return observed
        }
        if let code = env["SCRIPTED_EXIT_CODE"].flatMap(Int32.init) {
            await ended(key, status: .exited(code: code))
        }
        return instance
    }

    func stop(scope: String, instanceID: String, gracePeriod: Duration) async throws -> ExitStatus? {
        let key = Self.key(scope, instanceID)
        guard let instance = state.withLockedValue({ $0.instances[key] }), instance.observed.status.isRunning else {
            return nil
        }
        if instance.env["DEMO_IGNORE_SIGTERM"] == "1" {
            try await clock.sleep(for: gracePeriod)
            await ended(key, status: .signaled(signal: 9))
            return .signaled(signal: 9)
        }
        await ended(key, status: .exited(code: 0))
        return .exited(code: 0)
    }

    func destroy(scope: String, instanceID: String, keepLogs: Bool) async {
        let key = Self.key(scope, instanceID)
        await ended(key, status: .signaled(signal: 9))
        state.withLockedValue { state in
            guard let instance = state.instances.removeValue(forKey: key) else { return }
            if keepLogs { state.keptLogs[key] = instance.output }
        }
    }

    func inventory(scope: String) -> [RuntimeInstance] {
        state.withLockedValue { state in
            state.instances.filter { $0.key.hasPrefix(scope + "/") }.map(\.value.observed)
                .sorted { ($0.startedAt, $0.instanceID) < ($1.startedAt, $1.instanceID) }
        }
    }

    func output(scope: String, instanceID: String) -> String? {
        let key = Self.key(scope, instanceID)
        return state.withLockedValue { $0.instances[key]?.output ?? $0.keptLogs[key] }
    }

    /// Whether the running instance passes its probe now; nil when it is not running in `scope`.
    func probe(scope: String, instanceID: String) -> Bool? {
        let key = Self.key(scope, instanceID)
        guard let instance = state.withLockedValue({ $0.instances[key] }), instance.observed.status.isRunning else {
            return nil
        }
        return isHealthy(instance)
    }

    func exits(scope: String) -> AsyncStream<InstanceExit> {
        let (stream, continuation) = AsyncStream.makeStream(of: InstanceExit.self)
        let id = UUID()
        state.withLockedValue { $0.watchers[id] = (scope, continuation) }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLockedValue { _ = $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: - Support

    /// A running instance stops with `status`: its listeners close, and its scope's watchers are told.
    private func ended(_ key: String, status: ExitStatus) async {
        let ending = state.withLockedValue { state -> (Instance, [AsyncStream<InstanceExit>.Continuation])? in
            guard var instance = state.instances[key], instance.observed.status.isRunning else { return nil }
            let servers = instance.servers
            instance.observed.status = .exited(status)
            instance.servers = []
            instance.output += "gitfleet-demo: stopped\n"
            state.instances[key] = instance
            instance.servers = servers
            let scope = String(key.prefix { $0 != "/" })
            return (instance, state.watchers.values.filter { $0.scope == scope }.map(\.continuation))
        }
        guard let (instance, watchers) = ending else { return }
        for server in instance.servers { await server.close() }
        let exit = InstanceExit(
            instanceID: instance.launch.instanceID, service: instance.launch.service, status: status)
        for watcher in watchers { watcher.yield(exit) }
    }

    private func isHealthy(_ instance: Instance) -> Bool {
        if !instance.healthy || instance.env["DEMO_FAIL_HEALTH"] == "1" { return false }
        if let path = instance.env["DEMO_FAIL_HEALTH_FILE"], !path.isEmpty, FileManager.default.fileExists(atPath: path)
        {
            return false
        }
        if let delay = instance.env["DEMO_START_DELAY"].flatMap(Self.duration) {
            return clock.now >= instance.started.advanced(by: delay)
        }
        return true
    }

    private func answer(_ key: String, target: String) -> (status: Int, contentType: String, body: String) {
        guard let instance = state.withLockedValue({ $0.instances[key] }), instance.observed.status.isRunning else {
            return (503, "text/plain", "stopped\n")
        }
        switch target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target {
        case "/":
            let fields = [
                ("service", "GITFLEET_SERVICE"), ("version", "VERSION"), ("instance", "GITFLEET_INSTANCE_ID"),
                ("specHash", "GITFLEET_SPEC_HASH"),
            ].map { "\"\($0.0)\": \"\(instance.env[$0.1] ?? "")\"" }
            return (200, "application/json", "{" + fields.joined(separator: ", ") + "}\n")
        case "/healthz":
            return isHealthy(instance) ? (200, "text/plain", "ok\n") : (500, "text/plain", "failing\n")
        default:
            return (404, "text/plain", "not found\n")
        }
    }

    private static func key(_ scope: String, _ instanceID: String) -> String { "\(scope)/\(instanceID)" }

    /// The newest `limit` bytes of `output`, from a line start, as a capped log keeps them.
    private static func capped(_ output: String, to limit: Int) -> String {
        guard output.utf8.count > limit else { return output }
        let tail = String(decoding: output.utf8.suffix(limit), as: UTF8.self)
        return tail.firstIndex(of: "\n").map { String(tail[tail.index(after: $0)...]) } ?? tail
    }

    /// `500ms`, `2s` or a number of seconds, as the demo reads `DEMO_START_DELAY`.
    private static func duration(_ text: String) -> Duration? {
        if text.hasSuffix("ms") { return Double(text.dropLast(2)).map { .milliseconds($0) } }
        if text.hasSuffix("s") { return Double(text.dropLast()).map { .seconds($0) } }
        return Double(text).map { .seconds($0) }
    }
}
