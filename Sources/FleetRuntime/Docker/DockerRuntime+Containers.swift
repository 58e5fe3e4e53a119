import FleetModel
import Foundation

extension DockerRuntime {
    /// The image id `image` names on `host` now, pulling a missing tag when `pulling`.
    func imageID(of image: ImageReference, on host: DockerHost, pulling: Bool) async throws -> String {
        try await inspectImage(image, on: host, pulling: pulling).Id
    }

    func inspectImage(_ image: ImageReference, on host: DockerHost, pulling: Bool) async throws
        -> DockerWire.ImageInspect
    {
        let name: String
        if let tag = image.tag {
            name = "\(image.repository):\(tag)"
        } else if let digest = image.digest {
            name = digest
        } else {
            throw RuntimeError(.imageNotFound, "image reference \(image) has neither tag nor digest")
        }
        var answer = try await host.client.send(.GET, "/images/\(name)/json")
        if answer.status == 404, pulling, let tag = image.tag {
            try await pull(repository: image.repository, tag: tag, on: host)
            answer = try await host.client.send(.GET, "/images/\(name)/json")
        }
        guard answer.status != 404 else {
            throw RuntimeError(.imageNotFound, "docker host \(host.endpoint) has no image \(name)")
        }
        return try host.client.decode(DockerWire.ImageInspect.self, answer, "inspect image \(name)")
    }

    /// Pulls `repository:tag` with the registry's credentials from ``Options/registryConfig``, if any; the
    /// engine streams progress and reports a failure inside a 200 answer.
    func pull(repository: String, tag: String, on host: DockerHost) async throws {
        let registry = RegistryHost.of(repository: repository)
        var credential: RegistryCredential? = nil
        if let file = options.registryConfig {
            do {
                credential = try file.credential(forRepository: repository).credential
            } catch {
                throw RuntimeError(.invalidLaunch, "image \(repository):\(tag) cannot be pulled: \(error)")
            }
        }
        let headers = credential.map {
            [("X-Registry-Auth", $0.registryAuthHeader(serverAddress: RegistryHost.serverAddress(of: registry)))]
        }
        let answer = try await host.client.send(
            .POST, "/images/create", query: [("fromImage", repository), ("tag", tag)], headers: headers ?? [],
            timeout: .seconds(600))
        let text = String(decoding: answer.body, as: UTF8.self)
        var failure: String? = answer.isSuccess ? nil : answer.message
        for line in text.split(separator: "\n") {
            if let data = line.data(using: .utf8),
                let message = try? JSONDecoder().decode(DockerWire.ErrorMessage.self, from: data),
                let error = message.error
            {
                failure = error
            }
        }
        guard var failure else { return }
        failure = credential?.redacting(failure) ?? failure
        if Self.isCredentialRefusal(failure) {
            let presented =
                if let credential, let file = options.registryConfig {
                    "refused the credentials (\(credential)) that dockerConfigFile \(file.path) holds for it"
                } else if let file = options.registryConfig {
                    "refused a pull without credentials (dockerConfigFile \(file.path) holds none for it)"
                } else {
                    "refused a pull without credentials (no dockerConfigFile is set)"
                }
            throw RuntimeError(
                .credentialsRefused,
                "registry \(registry) \(presented): docker host \(host.endpoint) cannot pull image "
                    + "\(repository):\(tag) (\(failure))")
        }
        throw RuntimeError(
            .imageNotFound,
            "image \(repository):\(tag) is not on docker host \(host.endpoint) and cannot be pulled: \(failure)")
    }

    /// Whether an engine's pull failure is the registry refusing access (HTTP 401/403 from the registry, in the
    /// words Docker and Podman report it with), rather than a missing image or a registry that is down.
    static func isCredentialRefusal(_ failure: String) -> Bool {
        let text = failure.lowercased()
        return [
            "unauthorized", "authentication required", "no basic auth credentials", "access denied",
            "denied: requested access",
        ].contains { text.contains($0) }
    }

    /// Creates and starts the container of `launch` on `host`.
    func create(_ launch: InstanceLaunch, on host: DockerHost) async throws -> RuntimeInstance {
        let image = try await inspectImage(launch.image, on: host, pulling: true)
        if let digest = launch.image.digest, image.Id != digest {
            throw RuntimeError(
                .imageChanged,
                "image \(launch.image.repository):\(launch.image.tag ?? "") changed on \(host.endpoint): it is now "
                    + "\(image.Id), not \(digest); resolve it again")
        }

        var ports = launch.ports
        for (name, port) in ports.sorted(by: { $0.key < $1.key }) where port == 0 {
            ports[name] = host.endpoint.isLocal ? try PortAllocator.freeLoopbackPort() : Int.random(in: 20000..<32000)
        }
        var environment: [String: String] = [:]
        for entry in image.Config?.Env ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            environment[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        environment.merge(launch.env) { _, spec in spec }
        for (name, value) in launch.secretEnv { environment[name] = value.text }
        if let primary = ports["http"] ?? ports.min(by: { $0.key < $1.key })?.value {
            environment["PORT"] = String(primary)
        }
        for (name, port) in ports { environment["PORT_\(ProcessRuntime.environmentName(name))"] = String(port) }
        environment["GITFLEET_INSTANCE_ID"] = launch.instanceID
        environment["GITFLEET_SERVICE"] = launch.service
        environment["GITFLEET_SPEC_HASH"] = launch.specHash.rawValue
        environment["GITFLEET_SCOPE"] = options.scope

        let command = launch.command.map { ArgumentExpansion.expand($0, environment: environment) }
        let portsLabel = String(
            decoding: (try? JSONSerialization.data(withJSONObject: ports, options: [.sortedKeys])) ?? Data("{}".utf8),
            as: UTF8.self)
        let published = options.networking == .published
        let bindAddress = host.endpoint.isLocal ? "127.0.0.1" : "0.0.0.0"
        let body = DockerWire.ContainerCreate(
            Image: image.Id,
            Env: environment.keys.sorted().map { "\($0)=\(environment[$0]!)" },
            Entrypoint: command.isEmpty ? nil : command,
            Cmd: command.isEmpty ? nil : [],
            User: launch.resources.user,
            Labels: [
                Label.scope: options.scope, Label.instance: launch.instanceID, Label.service: launch.service,
                Label.specHash: launch.specHash.rawValue, Label.image: launch.image.description,
                Label.ports: portsLabel, Label.logLimit: String(launch.logLimit),
            ],
            ExposedPorts: published
                ? Dictionary(uniqueKeysWithValues: ports.values.map { ("\($0)/tcp", DockerWire.Empty()) }) : nil,
            HostConfig: DockerWire.HostConfig(
                NetworkMode: published ? "bridge" : "host",
                PortBindings: published
                    ? Dictionary(
                        uniqueKeysWithValues: ports.values.map {
                            ("\($0)/tcp", [DockerWire.PortBinding(HostIp: bindAddress, HostPort: String($0))])
                        }) : nil,
                Memory: launch.resources.memory,
                NanoCpus: launch.resources.cpu.map { Int64(($0 * 1e9).rounded()) },
                ReadonlyRootfs: launch.resources.readOnlyRootFilesystem,
                LogConfig: DockerWire.LogConfig(
                    Type: "json-file", Config: ["max-size": String(max(launch.logLimit, 8192))]),
                RestartPolicy: DockerWire.RestartPolicy(Name: "no")))

        let answer = try await host.client.send(
            .POST, "/containers/create", query: [("name", containerName(launch.instanceID))], json: body,
            timeout: .seconds(120))
        if answer.status == 409 {
            // Another start of the same id won the race for the name: adopt what it made.
            return try await observed(launch.instanceID, on: host)
        }
        guard answer.isSuccess else {
            let code: RuntimeError.Code = answer.status == 404 ? .imageNotFound : .startFailed
            throw RuntimeError(
                code,
                "docker host \(host.endpoint) could not create \(launch.instanceID) (\(answer.status)): "
                    + answer.message)
        }
        let created = try host.client.decode(DockerWire.CreateResponse.self, answer, "create \(launch.instanceID)")
        try await uploadSecretFiles(launch, into: created.Id, on: host)
        try await startContainer(created.Id, launch: launch, on: host)
        return try await observed(launch.instanceID, on: host)
    }

    /// Starts a created container; one that cannot start is removed, so a failed start leaves nothing behind.
    func startContainer(_ id: String, launch: InstanceLaunch, on host: DockerHost) async throws {
        let answer = try await host.client.send(.POST, "/containers/\(id)/start", timeout: .seconds(120))
        guard answer.isSuccess || answer.status == 304 else {
            _ = try? await host.client.send(.DELETE, "/containers/\(id)", query: [("force", "true")])
            throw RuntimeError(
                .startFailed,
                "docker host \(host.endpoint) could not start \(launch.instanceID) (\(answer.status)): \(answer.message)"
            )
        }
    }

    /// The instance `instanceID` on `host` as the engine shows it now.
    func observed(_ instanceID: String, on host: DockerHost) async throws -> RuntimeInstance {
        let containers = try await list(on: host, labels: ["\(Label.instance)=\(instanceID)"])
        guard let container = containers.first, let instance = try await observe(container, on: host) else {
            throw RuntimeError(.notFound, "instance \(instanceID) vanished from docker host \(host.endpoint)")
        }
        return instance
    }

    /// This scope's containers on `host` carrying every one of `labels` (`key=value`).
    func list(on host: DockerHost, labels: [String]) async throws -> [DockerWire.ContainerSummary] {
        let filters = ["label": ["\(Label.scope)=\(options.scope)"] + labels]
        let encoded = String(decoding: try JSONEncoder().encode(filters), as: UTF8.self)
        let answer = try await host.client.send(
            .GET, "/containers/json", query: [("all", "true"), ("filters", encoded)], timeout: options.listTimeout)
        return try host.client.decode([DockerWire.ContainerSummary].self, answer, "list containers")
    }

    /// A container as a ``RuntimeInstance``; nil for one without gitfleet's labels (not ours to report).
    func observe(_ container: DockerWire.ContainerSummary, on host: DockerHost) async throws -> RuntimeInstance? {
        let labels = container.Labels ?? [:]
        guard let instanceID = labels[Label.instance], let service = labels[Label.service],
            let specHash = labels[Label.specHash]
        else { return nil }
        var problem: String? = nil
        let image =
            labels[Label.image].flatMap { ImageReference(parsing: $0, problem: &problem) }
            ?? ImageReference(repository: "unknown")
        let ports =
            labels[Label.ports].flatMap { try? JSONDecoder().decode([String: Int].self, from: Data($0.utf8)) } ?? [:]
        let status: RuntimeInstance.Status
        switch container.State ?? "" {
        case "running", "paused", "restarting": status = .running
        case "created", "configured", "initialized": status = .unknown
        default: status = .exited(try await exitStatus(container.Id, on: host))
        }
        return RuntimeInstance(
            instanceID: instanceID, service: service, specHash: SpecHash(rawValue: specHash), image: image,
            handle: "\(host.endpoint)/\(container.Id.prefix(12))", address: host.endpoint.instanceAddress,
            ports: ports, status: status,
            startedAt: Date(timeIntervalSince1970: TimeInterval(container.Created ?? 0)))
    }

    /// How a stopped container ended: the engine reports 128 + n for a process killed by signal n.
    func exitStatus(_ id: String, on host: DockerHost) async throws -> ExitStatus? {
        let answer = try await host.client.send(.GET, "/containers/\(id)/json")
        guard answer.status != 404 else { return nil }
        let inspected = try host.client.decode(DockerWire.ContainerInspect.self, answer, "inspect container \(id)")
        guard inspected.State.Running != true, let code = inspected.State.ExitCode else { return nil }
        return Self.exitStatus(engineCode: code)
    }

    /// An exit code as the engine reports it: 128 + n for a process killed by signal n.
    static func exitStatus(engineCode code: Int32) -> ExitStatus {
        code > 128 && code < 128 + 65 ? .signaled(signal: code - 128) : .exited(code: code)
    }

    /// The container's output, stdout then stderr, the last `tail` lines of each (all when nil), each stream
    /// cut to its newest `limit` bytes (the engine's own cap rotates in steps, so it may hold more).
    func containerLogs(_ id: String, tail: Int?, limit: Int, on host: DockerHost) async throws -> String {
        var query = [("stdout", "true"), ("stderr", "true")]
        if let tail { query.append(("tail", String(max(tail, 0)))) }
        let answer = try await host.client.send(.GET, "/containers/\(id)/logs", query: query, timeout: .seconds(60))
        guard answer.isSuccess else {
            throw RuntimeError(
                .io,
                "docker host \(host.endpoint) could not read the logs of \(id) (\(answer.status)): \(answer.message)")
        }
        let (stdout, stderr) = DockerLogStream.demultiplex(answer.body)
        let streams = [stdout, stderr].map { String(decoding: $0, as: UTF8.self) }
        return streams.map { (tail.map($0.lastLines) ?? $0).capped(to: limit) }.joined()
    }

    /// Runs an exec health probe in the container and waits for it, up to `timeout`.
    func execProbe(_ id: String, command: [String], timeout: Duration, on host: DockerHost) async throws
        -> CommandResult
    {
        let created = try host.client.decode(
            DockerWire.CreateResponse.self,
            try await host.client.send(
                .POST, "/containers/\(id)/exec",
                json: DockerWire.ExecCreate(Cmd: command, AttachStdout: true, AttachStderr: true)),
            "create an exec probe")
        let started = Task {
            try await host.client.send(
                .POST, "/exec/\(created.Id)/start", json: DockerWire.ExecStart(Detach: false, Tty: false),
                timeout: timeout)
        }
        let output: Data
        do {
            output = try await started.value.body
        } catch {
            return CommandResult(status: nil, timedOut: true, output: "")
        }
        let inspected = try host.client.decode(
            DockerWire.ExecInspect.self, try await host.client.send(.GET, "/exec/\(created.Id)/json"),
            "inspect an exec probe")
        let (stdout, stderr) = DockerLogStream.demultiplex(output)
        let text = String(decoding: (stdout + stderr).suffix(4096), as: UTF8.self)
        guard inspected.Running != true, let code = inspected.ExitCode else {
            return CommandResult(status: nil, timedOut: true, output: text)
        }
        return CommandResult(status: .exited(code: code), timedOut: false, output: text)
    }
}

extension String {
    /// The last `count` lines (a trailing newline does not start another line).
    func lastLines(_ count: Int) -> String {
        guard count > 0 else { return "" }
        var lines = split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let kept = lines.suffix(count).joined(separator: "\n")
        return kept.isEmpty ? "" : kept + "\n"
    }

    /// The newest `limit` bytes, starting on a line boundary.
    func capped(to limit: Int) -> String {
        let bytes = Data(utf8)
        guard limit > 0, bytes.count > limit else { return self }
        var tail = bytes.suffix(limit)
        if let newline = tail.firstIndex(of: UInt8(ascii: "\n")), newline < tail.endIndex - 1 {
            tail = tail[(newline + 1)...]
        }
        return String(decoding: tail, as: UTF8.self)
    }
}
