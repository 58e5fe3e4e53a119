import FleetModel
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The embedded runtime: instances are local processes, images are directories in a local store.
///
/// Layout under `stateDirectory`:
/// - `images/<repository>/<tag>/` — an image (see ``ImageStore``).
/// - `instances/<id>/instance.json` — the launch, pid and process start time (see the contract of ``Runtime``:
///   this file, not memory, is how a restarted controller finds the instance).
/// - `instances/<id>/root/` — the instance's own copy of its image; the process runs from here.
/// - `instances/<id>/stdout.log`, `stderr.log` (+ `.1`) — its output, capped (see ``LogFile``).
/// - `instances/<id>/exit.json` — how it exited, once this process has reaped it.
///
/// **Pinned content.** At start the image directory is *copied* into `root/` and the copy's digest is checked
/// against the pinned digest before anything runs. Checking the store and then running from it would leave a
/// window in which the tag's files change under a running or starting instance, and hard links would share
/// inodes that an in-place edit of the store changes; a verified private copy is the only form in which an
/// instance can never run content other than its digest. Images here are small (a binary and some files).
///
/// **Surviving the controller.** Processes are spawned in their own session and write their output to files,
/// so they neither get the controller's signals nor block on a pipe nobody reads. A process is recognised as
/// the instance only when its pid is alive *and* its start time matches the one recorded at spawn, so a
/// recycled pid is never signalled or reported as running.
///
/// **Exit status and zombies.** A process started by this OS process is its child: every look at an instance
/// (``inventory()``, ``stop(instanceID:gracePeriod:)``, ``start(_:)``) reaps it with `waitpid` when it has exited and
/// records the status in `exit.json`, so no zombie outlives the next reconcile. After a controller restart the
/// processes are no longer children (init reaps them) and an exit is reported as `.exited(nil)`.
///
/// **Interrupted starts.** The record is written before the spawn and again with the pid after it. A
/// controller killed between those two writes leaves a record without a pid; inventory and a retried start
/// then look for the process by the `GITFLEET_INSTANCE_ID` in its environment (`/proc/*/environ`) and adopt
/// it, so the instance is neither lost nor started twice.
///
/// **Scoped.** Every record carries the runtime's ``scope`` (and the process `GITFLEET_SCOPE`); a record of
/// another scope is invisible to this runtime: not listed, stopped, destroyed, adopted or reported. A folder
/// left with only an instance's kept logs remembers its scope in a `scope` file. Runtimes of several fleets
/// can therefore share one folder (`runtimeDir`) without ever touching each other's instances.
///
/// **Exits as they happen.** ``exits()`` looks at the processes of the scope's running instances every
/// ``exitPollInterval`` (a read of `/proc/<pid>/stat`, and `waitpid` for its own children) and reports those
/// that stopped, whoever started them.
///
/// **Not enforced.** `resources` (CPU, memory, user, read-only root) are recorded but not applied: that needs
/// cgroups or privileges the embedded runtime does not assume. Use a container runtime for isolation.
public struct ProcessRuntime: Runtime {
    public let stateDirectory: String
    public let images: ImageStore
    /// The fleet this runtime acts for (see ``RuntimeScope``).
    public let scope: String
    /// Carries the http and tcp probes of this runtime's instances; shut down by ``close()``.
    public let probeClient: ProbeClient
    /// How often a stop looks whether the process has ended.
    static let pollInterval: Duration = .milliseconds(25)
    /// How often ``exits()`` looks at the running instances' processes.
    static let exitPollInterval: Duration = .milliseconds(200)

    public init(stateDirectory: String, scope: String = RuntimeScope.legacy) {
        self.probeClient = ProbeClient()
        self.stateDirectory = stateDirectory
        self.images = ImageStore(root: "\(stateDirectory)/images")
        self.scope = scope
    }

    var instancesDirectory: String { "\(stateDirectory)/instances" }

    func directory(of instanceID: String) -> String { "\(instancesDirectory)/\(instanceID)" }

    // MARK: - Runtime

    public func resolve(_ image: ImageReference) async throws -> ImageReference {
        let located = try images.locate(image)
        return image.pinned(to: located.digest)
    }

    public func start(_ launch: InstanceLaunch) async throws -> RuntimeInstance {
        guard InstanceLaunch.isValidInstanceID(launch.instanceID) else {
            throw RuntimeError(
                .invalidLaunch,
                "instance id '\(launch.instanceID)' must be 1-128 letters, digits, '.', '_' or '-', not starting with '.'"
            )
        }
        guard let digest = launch.image.digest else {
            throw RuntimeError(.invalidLaunch, "image \(launch.image) is not pinned: resolve it to a digest first")
        }
        let directory = directory(of: launch.instanceID)
        let recordPath = "\(directory)/instance.json"
        if FileManager.default.fileExists(atPath: recordPath) {
            let record = try ProcessInstanceFile.read(from: recordPath)
            guard (record.scope ?? RuntimeScope.legacy) == scope else {
                throw RuntimeError(
                    .invalidLaunch,
                    "instance id \(launch.instanceID) is used by another fleet (runtime scope \(record.scope ?? RuntimeScope.legacy)) "
                        + "in \(instancesDirectory); give the new one a new id"
                )
            }
            guard record.service == launch.service && record.specHash == launch.specHash else {
                throw RuntimeError(
                    .invalidLaunch,
                    "instance id \(launch.instanceID) is already used by \(record.service) with spec \(record.specHash.short); "
                        + "an instance is never changed in place, give the new one a new id"
                )
            }
            if record.pid != nil { return observe(record) }
            // A start interrupted between writing the intent and recording the pid: adopt the process if the
            // spawn happened, else start over.
            if let adopted = adoptInterruptedStart(record, at: recordPath) { return observe(adopted) }
            try? FileManager.default.removeItem(atPath: "\(directory)/root")
        }

        let source = try images.locate(launch.image)
        let root = "\(directory)/root"
        guard owns(directory) else {
            throw RuntimeError(
                .invalidLaunch,
                "instance id \(launch.instanceID) is used by another fleet in \(instancesDirectory); give the new one a new id"
            )
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // The record holds the environment, secrets' values included, and the root their files: only
            // the controller's user may look inside an instance that has any.
            if !launch.secretEnv.isEmpty || !launch.secretFiles.isEmpty {
                try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
            }
            try ProcessInstanceFile.writeAtomically(Data(scope.utf8), to: "\(directory)/scope")
            try? FileManager.default.removeItem(atPath: root)
            try FileManager.default.copyItem(atPath: source.directory, toPath: root)
        } catch {
            throw RuntimeError(.io, "cannot copy image \(launch.image) into \(root)", cause: error)
        }
        let copied = try ImageStore.digest(ofDirectory: root)
        guard copied == digest else {
            try? FileManager.default.removeItem(atPath: directory)
            throw RuntimeError(
                .imageChanged,
                "image \(launch.image) changed while it was being copied (now \(copied)); resolve it again"
            )
        }
        let manifest = try ImageStore.manifest(inDirectory: root)
        try Self.writeSecretFiles(launch.secretFiles, root: root)

        var ports = launch.ports
        for (name, port) in ports where port == 0 {
            ports[name] = try PortAllocator.freeLoopbackPort()
        }
        var environment = manifest.env.merging(launch.env) { _, spec in spec }
        for (name, value) in launch.secretEnv { environment[name] = value.text }
        if let primary = ports["http"] ?? ports.min(by: { $0.key < $1.key })?.value {
            environment["PORT"] = String(primary)
        }
        for (name, port) in ports {
            environment["PORT_\(Self.environmentName(name))"] = String(port)
        }
        environment["GITFLEET_INSTANCE_ID"] = launch.instanceID
        environment["GITFLEET_SERVICE"] = launch.service
        environment["GITFLEET_SPEC_HASH"] = launch.specHash.rawValue
        environment["GITFLEET_SCOPE"] = scope
        environment["GITFLEET_ROOT"] = root
        if environment["PATH"] == nil { environment["PATH"] = "/usr/local/bin:/usr/bin:/bin" }

        var argv = (launch.command.isEmpty ? manifest.entrypoint : launch.command).map {
            ArgumentExpansion.expand($0, environment: environment)
        }
        guard let program = argv.first else {
            throw RuntimeError(.invalidImage, "image \(launch.image) has no entrypoint and the launch gives no command")
        }
        argv[0] = try Self.executablePath(program, root: root, environment: environment)
        let workingDirectory = manifest.workingDir.map { $0.hasPrefix("/") ? $0 : "\(root)/\($0)" } ?? root

        var record = ProcessInstanceFile(
            instanceID: launch.instanceID,
            scope: scope,
            service: launch.service,
            specHash: launch.specHash,
            image: launch.image,
            argv: argv,
            environment: environment,
            workingDirectory: workingDirectory,
            ports: ports,
            logLimit: launch.logLimit,
            pid: nil,
            processStartTicks: nil,
            startedAt: Date()
        )
        try record.write(to: recordPath)
        let pid: Int32
        do {
            pid = try ProcessSpawner.spawn(
                argv: argv,
                environment: environment,
                workingDirectory: workingDirectory,
                stdoutPath: "\(directory)/stdout.log",
                stderrPath: "\(directory)/stderr.log"
            )
        } catch {
            // Nothing runs, so nothing is left to find: a record here would be a phantom in the inventory.
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        record.pid = pid
        record.processStartTicks = ProcessIdentity.snapshot(of: pid)?.startTicks
        try record.write(to: recordPath)
        return observe(record)
    }

    public func stop(instanceID: String, gracePeriod: Duration) async throws -> ExitStatus? {
        guard let record = try record(of: instanceID), let pid = record.pid else { return nil }
        if case .exited(let status) = observe(record).status { return status }

        signalGroup(pid, SIGTERM)
        let clock = ContinuousClock()
        let graceDeadline = clock.now + gracePeriod
        while clock.now < graceDeadline {
            if case .exited(let status) = observe(record).status {
                signalGroup(pid, SIGKILL)  // leftovers of the group the instance forked
                return status
            }
            try? await Task.sleep(for: Self.pollInterval)
        }
        signalGroup(pid, SIGKILL)
        // SIGKILL cannot be caught; the wait only covers the kernel tearing the process down on a loaded host.
        let killDeadline = clock.now + .seconds(30)
        while clock.now < killDeadline {
            if case .exited(let status) = observe(record).status { return status }
            try? await Task.sleep(for: Self.pollInterval)
        }
        throw RuntimeError(.io, "instance \(instanceID) (pid \(pid)) did not exit 30s after SIGKILL")
    }

    public func destroy(instanceID: String, keepLogs: Bool) async throws {
        let directory = directory(of: instanceID)
        guard FileManager.default.fileExists(atPath: directory), owns(directory) else { return }
        _ = try await stop(instanceID: instanceID, gracePeriod: .zero)
        do {
            if keepLogs {
                // The record goes last: an interrupted destroy leaves an exited instance that is destroyed again.
                for name in ["root", "exit.json", "instance.json"] {
                    let path = "\(directory)/\(name)"
                    if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
                }
            } else {
                try FileManager.default.removeItem(atPath: directory)
            }
        } catch {
            throw RuntimeError(.io, "cannot remove instance \(instanceID) from \(directory)", cause: error)
        }
    }

    public func inventory() async throws -> [RuntimeInstance] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: instancesDirectory)) ?? []
        var found: [RuntimeInstance] = []
        for name in names.sorted() {
            // A record that vanished between listing and reading was destroyed meanwhile; not an error.
            guard let record = try? record(of: name) else { continue }
            enforceLogLimit(record)
            found.append(observe(record))
        }
        return found
    }

    public func logs(instanceID: String, tail lines: Int) async throws -> String {
        let directory = directory(of: instanceID)
        guard FileManager.default.fileExists(atPath: directory), owns(directory) else {
            throw RuntimeError(.notFound, "no instance \(instanceID) in \(instancesDirectory)")
        }
        if let record = try? record(of: instanceID) { enforceLogLimit(record) }
        return LogFile.tail(path: "\(directory)/stdout.log", lines: lines)
            + LogFile.tail(path: "\(directory)/stderr.log", lines: lines)
    }

    /// Closes the probe client's connections; instances keep running.
    public func close() async {
        await probeClient.shutdown()
    }

    public func exec(instanceID: String, command: [String], timeout: Duration) async throws -> CommandResult {
        guard let record = try record(of: instanceID) else {
            throw RuntimeError(.notFound, "no instance \(instanceID) in \(instancesDirectory)")
        }
        guard let program = command.first else { throw RuntimeError(.invalidLaunch, "empty exec command") }
        var argv = command.map { ArgumentExpansion.expand($0, environment: record.environment) }
        argv[0] = try Self.executablePath(
            program,
            root: "\(directory(of: instanceID))/root",
            environment: record.environment
        )
        guard access(argv[0], X_OK) == 0 else {
            throw RuntimeError(.startFailed, "cannot execute \(argv[0]): \(String(cString: strerror(errno)))")
        }
        // Its own process group, killed whole at the deadline, so a probe's children do not pile up.
        let command = BoundedCommand(
            executable: argv[0], arguments: Array(argv.dropFirst()), environment: record.environment,
            workingDirectory: record.workingDirectory, combinesErrors: true, ownsProcessGroup: true,
            keep: .tail(4096), timeout: timeout)
        let outcome: BoundedCommand.Outcome
        do {
            outcome = try await command.run()
        } catch {
            throw RuntimeError(.startFailed, "\(error)")
        }
        return CommandResult(
            status: outcome.timedOut ? nil : outcome.status,
            timedOut: outcome.timedOut,
            output: String(decoding: outcome.output, as: UTF8.self)
        )
    }

    // MARK: - Observation

    /// The record of `instanceID` when it is an instance of this scope; nil for another scope's, as for none.
    func record(of instanceID: String) throws -> ProcessInstanceFile? {
        guard InstanceLaunch.isValidInstanceID(instanceID) else { return nil }
        let path = "\(directory(of: instanceID))/instance.json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let record = try ProcessInstanceFile.read(from: path)
        guard (record.scope ?? RuntimeScope.legacy) == scope else { return nil }
        return adoptInterruptedStart(record, at: path) ?? record
    }

    /// Whether the instance folder `directory` is this scope's (or free): its record, else its `scope` file
    /// (a folder left with only kept logs) says so; a folder with neither predates scopes.
    func owns(_ directory: String) -> Bool {
        if let record = try? ProcessInstanceFile.read(from: "\(directory)/instance.json") {
            return (record.scope ?? RuntimeScope.legacy) == scope
        }
        guard let marker = FileManager.default.contents(atPath: "\(directory)/scope") else {
            return !FileManager.default.fileExists(atPath: directory) || scope == RuntimeScope.legacy
        }
        return String(decoding: marker, as: UTF8.self) == scope
    }

    /// The instance as the OS shows it now; reaps it when it is an exited child of this process.
    func observe(_ record: ProcessInstanceFile) -> RuntimeInstance {
        RuntimeInstance(
            instanceID: record.instanceID,
            service: record.service,
            specHash: record.specHash,
            image: record.image,
            handle: record.pid.map { String($0) } ?? "",
            address: "127.0.0.1",
            ports: record.ports,
            status: status(of: record),
            startedAt: record.startedAt
        )
    }

    /// The record of an interrupted start with the pid of its process filled in, when that process runs.
    func adoptInterruptedStart(_ record: ProcessInstanceFile, at path: String) -> ProcessInstanceFile? {
        guard record.pid == nil, let pid = ProcessIdentity.find(instanceID: record.instanceID) else { return nil }
        var adopted = record
        adopted.pid = pid
        adopted.processStartTicks = ProcessIdentity.snapshot(of: pid)?.startTicks
        try? adopted.write(to: path)
        return adopted
    }

    func status(of record: ProcessInstanceFile) -> RuntimeInstance.Status {
        guard let pid = record.pid else { return .unknown }
        let exitPath = "\(directory(of: record.instanceID))/exit.json"
        // One reaper at a time in this OS process, so a status taken by one caller's waitpid is on disk
        // before another caller, finding the child gone (ECHILD), looks for it.
        return Self.reaping.withLock {
            // access() first: the file is missing for every running instance, every look.
            if access(exitPath, F_OK) == 0, let data = FileManager.default.contents(atPath: exitPath),
                let status = try? JSONDecoder().decode(ExitStatus.self, from: data)
            {
                return .exited(status)
            }
            guard let snapshot = ProcessIdentity.snapshot(of: pid),
                record.processStartTicks == nil || snapshot.startTicks == record.processStartTicks
            else {
                return .exited(nil)  // gone, or the pid now belongs to another process
            }
            var raw: Int32 = 0
            let waited = waitpid(pid, &raw, WNOHANG)
            if waited == pid {
                let status = ProcessIdentity.exitStatus(fromWaitStatus: raw)
                if let data = try? JSONEncoder().encode(status) {
                    try? ProcessInstanceFile.writeAtomically(data, to: exitPath)
                }
                return .exited(status)
            }
            if waited == 0 { return .running }
            // Not our child (the controller restarted): alive unless it is a zombie awaiting its own parent.
            return snapshot.state == "Z" ? .exited(nil) : .running
        }
    }

    static let reaping = NSLock()

    func enforceLogLimit(_ record: ProcessInstanceFile) {
        let directory = directory(of: record.instanceID)
        LogFile.enforce(limit: record.logLimit, path: "\(directory)/stdout.log")
        LogFile.enforce(limit: record.logLimit, path: "\(directory)/stderr.log")
    }

    /// Signals the instance's process group (its pid: it leads its own session), or the process alone when
    /// the group is gone.
    func signalGroup(_ pid: Int32, _ signal: Int32) {
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }

    // MARK: - Launch details

    /// `PORT_<NAME>`: the port name upper-cased, anything but letters and digits as `_`.
    static func environmentName(_ portName: String) -> String {
        String(
            portName.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }
        )
    }

    /// argv[0] as a path: absolute as written; with a slash, inside the instance's root; a bare name from
    /// the root when the image has it there, else from `PATH`.
    static func executablePath(_ program: String, root: String, environment: [String: String]) throws -> String {
        if program.hasPrefix("/") { return program }
        if program.contains("/") || FileManager.default.isExecutableFile(atPath: "\(root)/\(program)") {
            return "\(root)/\(program)"
        }
        guard let found = ProcessSpawner.search(program, path: environment["PATH"]) else {
            throw RuntimeError(.startFailed, "cannot find '\(program)' in the image or on PATH")
        }
        return found
    }
}
