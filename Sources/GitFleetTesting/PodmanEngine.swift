import FleetModel
import FleetRuntime
import Foundation

/// A real container engine for tests: Podman serving the Docker Engine API on a unix socket, with its own
/// configuration, storage and run directories in one temporary folder, so nothing depends on (or changes)
/// the machine's own Podman state.
///
/// The configuration is the one these machines need: runc as the OCI runtime, cgroupfs as the cgroup manager,
/// no default ulimits, events in a file, the `vfs` storage driver (no mounts left behind) and no registries
/// to search, so a missing image fails at once instead of trying the network. Registries named in
/// `insecureRegistries` (a test's ``ImageRegistryServer`` on loopback) are reached over plain HTTP.
///
/// Needs `/usr/bin/podman` and runc (Debian: podman, runc). When either is missing or the service does not
/// answer `/_ping`, `init` throws saying why, so a test never passes by skipping the engine.
public final class PodmanEngine: @unchecked Sendable {
    public static let executable = "/usr/bin/podman"

    public let directory: TemporaryDirectory
    public let socketPath: String
    /// How long the service took to answer its first ping.
    public private(set) var startDuration: Duration = .zero
    private let lock = NSLock()
    private var service: SpawnedProcess?

    public var endpoint: DockerEndpoint { DockerEndpoint(kind: .unixSocket(path: socketPath)) }

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes the configuration and starts the service, waiting up to `timeout` seconds for it to answer.
    /// `insecureRegistries` (`host:port`) are pulled from over plain HTTP.
    public init(timeout: TimeInterval = 60, insecureRegistries: [String] = []) async throws {
        for tool in [Self.executable, "/usr/sbin/runc"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw StartError(
                description: "\(tool) is missing; install Debian's podman and runc (apt-get install podman runc)")
        }
        directory = try TemporaryDirectory(prefix: "gitfleet-podman")
        socketPath = directory.appending("podman.sock")
        let containersConf = """
            [containers]
            default_ulimits = []

            [engine]
            cgroup_manager = "cgroupfs"
            runtime = "runc"
            events_logger = "file"
            events_logfile_path = "\(directory.appending("events.log"))"

            """
        let storageConf = """
            [storage]
            driver = "vfs"
            graphroot = "\(directory.appending("storage"))"
            runroot = "\(directory.appending("run"))"

            """
        do {
            try containersConf.write(toFile: directory.appending("containers.conf"), atomically: true, encoding: .utf8)
            try storageConf.write(toFile: directory.appending("storage.conf"), atomically: true, encoding: .utf8)
            let registries = insecureRegistries.map { "\n[[registry]]\nlocation = \"\($0)\"\ninsecure = true\n" }
            try ("unqualified-search-registries = []\n" + registries.joined()).write(
                toFile: directory.appending("registries.conf"), atomically: true, encoding: .utf8)
        } catch {
            throw StartError(description: "cannot write the Podman configuration in \(directory.path): \(error)")
        }
        try await start(timeout: timeout)
    }

    deinit {
        stop()
    }

    /// The environment and global flags that point Podman at this engine's private configuration and storage.
    var environment: [String: String] {
        [
            "CONTAINERS_CONF": directory.appending("containers.conf"),
            "CONTAINERS_STORAGE_CONF": directory.appending("storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": directory.appending("registries.conf"),
        ]
    }

    var globalArguments: [String] {
        [
            "--root", directory.appending("storage"), "--runroot", directory.appending("run"),
            "--tmpdir", directory.appending("tmp"), "--storage-driver", "vfs",
        ]
    }

    /// Starts the API service (again, after ``stopService()``) on the same storage and socket.
    public func start(timeout: TimeInterval = 60) async throws {
        let clock = ContinuousClock()
        let begun = clock.now
        try? FileManager.default.removeItem(atPath: socketPath)
        let process = try SpawnedProcess(
            executable: "/usr/bin/env",
            arguments: environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [Self.executable]
                + globalArguments + ["system", "service", "--time=0", "unix://\(socketPath)"],
            logPath: directory.appending("service.log"))
        lock.withLock { service = process }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = process.exitCode {
                throw StartError(
                    description: "podman system service exited with status \(status) while starting:\n"
                        + process.logTail())
            }
            let failure = await ping()
            if failure == nil {
                startDuration = clock.now - begun
                return
            }
            if Date() > deadline {
                stopService()
                throw StartError(
                    description: "podman system service did not answer /_ping on \(socketPath) within "
                        + "\(Int(timeout)) s (\(failure ?? "")):\n\(process.logTail())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops the API service only: containers keep running and the storage stays, as when a host's engine
    /// stops answering. `grace` is how long it may finish its requests before SIGKILL; 0 makes it vanish at once,
    /// requests in flight and all, as a host that goes away does.
    public func stopService(grace: TimeInterval = 5) {
        let process = lock.withLock {
            defer { service = nil }
            return service
        }
        process?.stop(grace: grace)
    }

    /// Removes every container, stops the service and deletes the storage. Idempotent.
    public func stop() {
        if FileManager.default.fileExists(atPath: directory.appending("storage")) {
            _ = try? podmanBlocking(["rm", "--all", "--force", "--time", "0"])
        }
        stopService()
        directory.remove()
    }

    /// Runs the podman CLI against this engine's storage (not through the socket) and waits for it.
    public func podman(_ arguments: [String]) async throws -> BuiltProducts.Outcome {
        try await BuiltProducts.run("/usr/bin/env", envArguments(arguments))
    }

    func podmanBlocking(_ arguments: [String]) throws -> BuiltProducts.Outcome {
        try BuiltProducts.runBlocking("/usr/bin/env", envArguments(arguments))
    }

    private func envArguments(_ arguments: [String]) -> [String] {
        environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [Self.executable] + globalArguments
            + arguments
    }

    /// Whether the service answers `GET /_ping` with `OK`.
    public func answersPing() async -> Bool {
        await ping() == nil
    }

    /// Nil when the service answers `GET /_ping` with `OK`, else what went wrong.
    func ping() async -> String? {
        guard FileManager.default.fileExists(atPath: socketPath) else { return "no socket yet" }
        do {
            let client = try DockerEngineClient(endpoint: endpoint)
            return try await client.ping() ? nil : "the answer was not OK"
        } catch {
            return "\(error)"
        }
    }

    /// Imports a root filesystem tarball as `reference` (repository:tag) with the given image settings
    /// (`ENV`, `CMD`... as `podman import --change` takes them), and returns the image id.
    @discardableResult
    public func importImage(tarball: String, reference: String, changes: [String]) async throws -> String {
        let outcome = try await podman(["import"] + changes.flatMap { ["--change", $0] } + [tarball, reference])
        let id = outcome.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
        guard outcome.status == 0, id.hasPrefix("sha256:") else {
            throw FixtureError("podman import of \(reference) failed: \(outcome)")
        }
        return id
    }
}
