import FleetModel
import Foundation

/// The container runtime: instances are containers on one or more Docker Engine API hosts (Docker or Podman).
///
/// **Identity in labels.** Every container is created with the labels `gitfleet.scope`, `gitfleet.instance`,
/// `gitfleet.service`, `gitfleet.spec-hash`, `gitfleet.image` and `gitfleet.ports`, and is named
/// `<scope>.<instance id>`. The inventory is a label query on every host, so a restarted controller adopts its
/// containers by label, and several controllers (or test runs) share an engine without seeing each other's
/// containers as long as their scopes differ.
///
/// **Scoped.** The scope (``Options/scope``, a ``RuntimeScope``) is in every query, so containers of other
/// scopes are never listed, stopped, removed or adopted; ``exits()`` follows the engine's `/events` stream
/// filtered to the scope's label and reports containers that die or are removed.
///
/// **Pinned content.** ``resolve(_:)`` reads the image id (`sha256:` of the image configuration, which covers
/// every layer) of the tag on each host, pulling the tag where it is missing; hosts that disagree are an error.
/// Containers are created from that id, never from the tag, and a start whose tag now names other content is
/// refused with ``RuntimeError/Code-swift.enum/imageChanged``: a re-tagged image is a new spec, never a silent
/// change.
///
/// **Private registries.** A pull sends the credentials ``Options/registryConfig`` holds for the image's registry
/// as `X-Registry-Auth`; a registry that refuses it (or wants credentials and got none) fails the pull with
/// ``RuntimeError/Code-swift.enum/credentialsRefused``, naming the registry but never the secret.
///
/// **Baked in at creation.** Command, environment, ports, memory and CPU limits, user and read-only root
/// filesystem are set when the container is created; nothing execs into, updates or restarts a container
/// (the engine's restart policy is `no`). A change is a new container.
///
/// **Ports.** Named ports of 0 are allocated by the runtime (a free loopback port for a local engine, a
/// random high port for a remote one); the container learns them as `PORT` and `PORT_<NAME>`, as under the
/// process runtime. With ``Networking/host`` the container shares the host's network and listens on them
/// directly; with ``Networking/published`` it runs on the engine's bridge network and each port is published
/// to the same port number on the host (127.0.0.1 for a local engine), so the service must listen on 0.0.0.0.
///
/// **Several hosts.** A new instance goes to the answering host running the fewest instances of its service.
/// A host that stops answering makes ``inventory()`` fail with ``RuntimeError/Code-swift.enum/hostUnavailable``
/// (naming it) until it has been silent for `lostAfter`; from then on its instances are left out of the
/// inventory, so the controller counts them lost and replaces them elsewhere. Should the host come back, its
/// old containers show up again without records and are removed as drift.
///
/// **Logs as evidence.** The engine keeps each container's output capped (`max-size` of the log driver).
/// ``destroy(instanceID:keepLogs:)`` with `keepLogs` copies the output into `evidenceDirectory` before the
/// container is removed, and ``logs(instanceID:tail:)`` reads it from there afterwards.
public struct DockerRuntime: Runtime {
    public enum Networking: String, Hashable, Sendable {
        /// The container shares the host's network namespace.
        case host
        /// The container is on the engine's default bridge network with its ports published.
        case published
    }

    public struct Options: Hashable, Sendable {
        /// Tells this fleet's containers from any other's on the same engines (see ``RuntimeScope``).
        public var scope: String
        public var networking: Networking
        /// How long a host may be silent before its instances count as lost.
        public var lostAfter: Duration
        /// Where the output of instances destroyed with `keepLogs` is kept.
        public var evidenceDirectory: String
        /// How long listing a host's containers may take before the host counts as silent. A hung engine
        /// (one that accepts connections and never answers) costs every inventory this long.
        public var listTimeout: Duration
        /// Where pulls find registry credentials (read on every pull); nil pulls without any.
        public var registryConfig: DockerConfigFile?

        public init(
            scope: String = RuntimeScope.legacy, networking: Networking = .host, lostAfter: Duration = .seconds(60),
            evidenceDirectory: String, listTimeout: Duration = .seconds(10), registryConfig: DockerConfigFile? = nil
        ) {
            self.scope = scope
            self.networking = networking
            self.lostAfter = lostAfter
            self.evidenceDirectory = evidenceDirectory
            self.listTimeout = listTimeout
            self.registryConfig = registryConfig
        }
    }

    public let hosts: [DockerHost]
    public let options: Options
    /// Carries the http and tcp probes of this runtime's containers; shut down by ``close()``.
    public let probeClient: ProbeClient

    public init(hosts: [DockerHost], options: Options) throws {
        guard !hosts.isEmpty else {
            throw RuntimeError(.invalidLaunch, "the Docker runtime needs at least one host (dockerHosts)")
        }
        if let problem = RuntimeScope.problem(options.scope) { throw RuntimeError(.invalidLaunch, problem) }
        // Read once here so a bad file stops the start with its location, not the first rollout.
        do {
            _ = try options.registryConfig?.credentials()
        } catch {
            throw RuntimeError(.invalidLaunch, error.description)
        }
        self.hosts = hosts
        self.options = options
        self.probeClient = ProbeClient()
    }

    /// A runtime over `endpoints`, each with its own client (TLS files apply to the `tcp://`/`https://` ones).
    public init(
        endpoints: [DockerEndpoint], tls: DockerEngineClient.TLSFiles? = nil, options: Options
    ) throws {
        try self.init(
            hosts: endpoints.map { DockerHost(client: try DockerEngineClient(endpoint: $0, tls: tls)) },
            options: options)
    }

    /// Releases the hosts' HTTP clients and the probe client; call once when the runtime is no longer used.
    public func close() async {
        for host in hosts { try? await host.client.shutdown() }
        await probeClient.shutdown()
    }

    /// How every host answers now, as far as the runtime has seen.
    public func hostStatuses(now: Date = Date()) -> [DockerHostStatus] {
        hosts.map { host in
            let (since, failure) = host.availability.snapshot
            return DockerHostStatus(
                endpoint: host.endpoint, unreachableSince: since, lastFailure: failure,
                instancesLost: since.map { isLost(since: $0, now: now) } ?? false)
        }
    }

    // MARK: - Runtime

    public func resolve(_ image: ImageReference) async throws -> ImageReference {
        var found: (digest: String, host: DockerHost)? = nil
        var silent: [String] = []
        for host in hosts {
            let digest: String
            do {
                digest = try await call(host) { try await imageID(of: image, on: host, pulling: true) }
            } catch let error as RuntimeError where error.code == .hostUnavailable {
                silent.append(error.message)
                continue
            }
            if let found, found.digest != digest {
                throw RuntimeError(
                    .imageChanged,
                    "image \(image.repository):\(image.tag ?? "latest") is \(found.digest) on \(found.host.endpoint) but "
                        + "\(digest) on \(host.endpoint); push one image to a registry every host pulls from")
            }
            found = (digest, host)
        }
        guard let found else {
            throw RuntimeError(.hostUnavailable, "no Docker host answered: \(silent.joined(separator: "; "))")
        }
        if let expected = image.digest, expected != found.digest {
            throw RuntimeError(
                .imageChanged,
                "image \(image.repository):\(image.tag ?? "") changed: it is now \(found.digest), not \(expected); "
                    + "resolve the tag again to deploy the new content")
        }
        return image.pinned(to: found.digest)
    }

    public func start(_ launch: InstanceLaunch) async throws -> RuntimeInstance {
        guard InstanceLaunch.isValidInstanceID(launch.instanceID) else {
            throw RuntimeError(
                .invalidLaunch,
                "instance id '\(launch.instanceID)' must be 1-128 letters, digits, '.', '_' or '-', not starting with '.'"
            )
        }
        guard launch.image.digest != nil else {
            throw RuntimeError(.invalidLaunch, "image \(launch.image) is not pinned: resolve it to a digest first")
        }
        if case (let host, let existing)? = try await find(launch.instanceID) {
            let labels = existing.Labels ?? [:]
            guard labels[Label.service] == launch.service, labels[Label.specHash] == launch.specHash.rawValue else {
                throw RuntimeError(
                    .invalidLaunch,
                    "instance id \(launch.instanceID) is already used by \(labels[Label.service] ?? "?") with spec "
                        + "\(labels[Label.specHash]?.prefix(12) ?? "?"); an instance is never changed in place, "
                        + "give the new one a new id")
            }
            // Created but never started: the controller stopped between the two calls.
            if existing.State == "created" || existing.State == "configured" {
                try await startContainer(existing.Id, launch: launch, on: host)
            }
            return try await observed(launch.instanceID, on: host)
        }
        let host = try await placement(for: launch.service)
        return try await call(host) { try await create(launch, on: host) }
    }

    public func stop(instanceID: String, gracePeriod: Duration) async throws -> ExitStatus? {
        guard case (let host, let container)? = try await find(instanceID) else { return nil }
        return try await call(host) {
            if container.State == "running" || container.State == "paused" || container.State == "restarting" {
                let seconds = Int(
                    (Double(gracePeriod.components.seconds) + Double(gracePeriod.components.attoseconds) / 1e18)
                        .rounded(.up))
                let answer = try await host.client.send(
                    .POST, "/containers/\(container.Id)/stop", query: [("t", String(max(seconds, 0)))],
                    timeout: gracePeriod + .seconds(60))
                guard answer.isSuccess || answer.status == 304 || answer.status == 404 else {
                    throw RuntimeError(
                        .io,
                        "docker host \(host.endpoint) could not stop \(instanceID) (\(answer.status)): \(answer.message)"
                    )
                }
            }
            return try await exitStatus(container.Id, on: host)
        }
    }

    public func destroy(instanceID: String, keepLogs: Bool) async throws {
        let evidence = evidencePath(instanceID)
        guard case (let host, let container)? = try await find(instanceID) else {
            if !keepLogs { try? FileManager.default.removeItem(atPath: evidence) }
            return
        }
        try await call(host) {
            if keepLogs {
                let limit = Int(container.Labels?[Label.logLimit] ?? "") ?? (10 << 20)
                let output = try await containerLogs(container.Id, tail: nil, limit: limit, on: host)
                do {
                    try FileManager.default.createDirectory(
                        atPath: options.evidenceDirectory, withIntermediateDirectories: true)
                    try Data(output.utf8).write(to: URL(fileURLWithPath: evidence), options: .atomic)
                } catch {
                    throw RuntimeError(.io, "cannot keep the logs of \(instanceID) in \(evidence)", cause: error)
                }
            } else {
                try? FileManager.default.removeItem(atPath: evidence)
            }
            let answer = try await host.client.send(
                .DELETE, "/containers/\(container.Id)", query: [("force", "true"), ("v", "true")],
                timeout: .seconds(90))
            guard answer.isSuccess || answer.status == 404 else {
                throw RuntimeError(
                    .io,
                    "docker host \(host.endpoint) could not remove \(instanceID) (\(answer.status)): \(answer.message)")
            }
        }
    }

    public func inventory() async throws -> [RuntimeInstance] {
        var found: [RuntimeInstance] = []
        let now = Date()
        for host in hosts {
            do {
                let containers = try await call(host) { try await list(on: host, labels: []) }
                for container in containers {
                    if let instance = try await observe(container, on: host) { found.append(instance) }
                }
            } catch let error as RuntimeError where error.code == .hostUnavailable {
                let since = host.availability.snapshot.downSince ?? now
                if isLost(since: since, now: now) { continue }
                throw RuntimeError(
                    .hostUnavailable,
                    "\(error.message); its instances count as lost once it has been silent for \(options.lostAfter) "
                        + "(since \(since))",
                    cause: error.cause)
            }
        }
        return found.sorted { $0.instanceID < $1.instanceID }
    }

    public func logs(instanceID: String, tail lines: Int) async throws -> String {
        if case (let host, let container)? = try await find(instanceID) {
            let limit = Int(container.Labels?[Label.logLimit] ?? "") ?? (10 << 20)
            return try await call(host) { try await containerLogs(container.Id, tail: lines, limit: limit, on: host) }
        }
        guard let kept = FileManager.default.contents(atPath: evidencePath(instanceID)) else {
            throw RuntimeError(.notFound, "no instance \(instanceID) on any Docker host and no kept logs")
        }
        return String(decoding: kept, as: UTF8.self).lastLines(lines)
    }

    public func exec(instanceID: String, command: [String], timeout: Duration) async throws -> CommandResult {
        guard case (let host, let container)? = try await find(instanceID) else {
            throw RuntimeError(.notFound, "no instance \(instanceID) on any Docker host")
        }
        guard !command.isEmpty else { throw RuntimeError(.invalidLaunch, "empty exec command") }
        return try await call(host) { try await execProbe(container.Id, command: command, timeout: timeout, on: host) }
    }

    // MARK: - Hosts

    func isLost(since: Date, now: Date) -> Bool {
        let lostAfter =
            Double(options.lostAfter.components.seconds)
            + Double(options.lostAfter.components.attoseconds) / 1e18
        return now.timeIntervalSince(since) >= lostAfter
    }

    /// Runs `body` against `host`, recording whether the host answered.
    func call<T>(_ host: DockerHost, _ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            host.availability.answered()
            return result
        } catch let error as RuntimeError where error.code == .hostUnavailable {
            host.availability.failed(error.message, at: Date())
            throw error
        } catch {
            host.availability.answered()
            throw error
        }
    }

    /// The container of `instanceID` on the first host that has it; hosts that do not answer are passed over.
    func find(_ instanceID: String) async throws -> (DockerHost, DockerWire.ContainerSummary)? {
        guard InstanceLaunch.isValidInstanceID(instanceID) else { return nil }
        var silent: [String] = []
        for host in hosts {
            do {
                let containers = try await call(host) {
                    try await list(on: host, labels: ["\(Label.instance)=\(instanceID)"])
                }
                if let container = containers.first { return (host, container) }
            } catch let error as RuntimeError where error.code == .hostUnavailable {
                silent.append(error.message)
            }
        }
        if silent.count == hosts.count {
            throw RuntimeError(.hostUnavailable, "no Docker host answered: \(silent.joined(separator: "; "))")
        }
        return nil
    }

    /// The answering host with the fewest instances of `service`, so a service spreads over the hosts.
    func placement(for service: String) async throws -> DockerHost {
        var best: (host: DockerHost, count: Int)? = nil
        var silent: [String] = []
        for host in hosts {
            do {
                let count = try await call(host) {
                    try await list(on: host, labels: ["\(Label.service)=\(service)"]).filter { $0.State == "running" }
                        .count
                }
                if best == nil || count < best!.count { best = (host, count) }
            } catch let error as RuntimeError where error.code == .hostUnavailable {
                silent.append(error.message)
            }
        }
        guard let best else {
            throw RuntimeError(.hostUnavailable, "no Docker host answered: \(silent.joined(separator: "; "))")
        }
        return best.host
    }

    // MARK: - Support

    enum Label {
        static let scope = "gitfleet.scope"
        static let instance = "gitfleet.instance"
        static let service = "gitfleet.service"
        static let specHash = "gitfleet.spec-hash"
        static let image = "gitfleet.image"
        static let ports = "gitfleet.ports"
        static let logLimit = "gitfleet.log-limit"
    }

    func containerName(_ instanceID: String) -> String { "\(options.scope).\(instanceID)" }

    func evidencePath(_ instanceID: String) -> String { "\(options.evidenceDirectory)/\(instanceID).log" }
}
