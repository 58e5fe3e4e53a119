import FleetModel
import Foundation

/// A real private image registry for tests: Debian's `docker-registry` (the CNCF distribution registry) on a
/// free loopback port, plain HTTP, with htpasswd authentication for one user, its storage and configuration in
/// a temporary directory. Every request without that user's credentials is refused with 401, as a private
/// registry refuses it.
///
/// The registry takes only bcrypt htpasswd entries; the hash is made with Perl's `crypt`, which calls the
/// system's libxcrypt (bcrypt `$2b$`), so no tool beyond Debian's essential perl-base is needed. Engines must
/// treat ``address`` as an insecure (plain HTTP) registry: ``PodmanEngine`` does with `insecureRegistries`.
///
/// Needs `/usr/bin/docker-registry` (Debian: docker-registry); `init` throws when it is missing or the
/// registry does not answer, so a test never passes by skipping it.
public final class ImageRegistryServer: Sendable {
    public static let executable = "/usr/bin/docker-registry"

    /// `127.0.0.1:<port>`: the host part of the images pushed here (`127.0.0.1:5000/demo/web:1.0`).
    public let address: String
    public let port: Int
    public let username: String
    public let password: String
    private let directory: TemporaryDirectory
    private let process: SpawnedProcess

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts the registry with one user and waits up to `timeout` seconds until it answers `/v2/`.
    public init(username: String = "fleet-puller", password: String, timeout: TimeInterval = 30) async throws {
        for tool in [Self.executable, "/usr/bin/perl"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw StartError(description: "\(tool) is missing; install Debian's docker-registry (scripts/test does)")
        }
        self.username = username
        self.password = password
        directory = try TemporaryDirectory(prefix: "gitfleet-image-registry")
        port = try EtcdServer.freePort()
        address = "127.0.0.1:\(port)"
        let hash = try Self.bcrypt(password)
        let configuration = """
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: \(directory.appending("data"))
            http:
              addr: \(address)
            auth:
              htpasswd:
                realm: gitfleet-test
                path: \(directory.appending("htpasswd"))

            """
        do {
            try "\(username):\(hash)\n".write(
                toFile: directory.appending("htpasswd"), atomically: true, encoding: .utf8)
            try configuration.write(toFile: directory.appending("config.yml"), atomically: true, encoding: .utf8)
        } catch {
            throw StartError(description: "cannot write the registry's configuration in \(directory.path): \(error)")
        }
        process = try SpawnedProcess(
            executable: Self.executable, arguments: ["serve", directory.appending("config.yml")],
            logPath: directory.appending("registry.log"))
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = process.exitCode {
                let log = process.logTail()
                stop()
                throw StartError(description: "docker-registry exited with status \(status) while starting:\n\(log)")
            }
            // 401 is the answer wanted: the registry is up and asks for credentials.
            if let answer = try? await LoopbackHTTP.get(port: port, path: "/v2/", timeout: .seconds(2)),
                answer.status == 401
            {
                return
            }
            if Date() > deadline {
                let log = process.logTail()
                stop()
                throw StartError(
                    description:
                        "docker-registry did not answer /v2/ with 401 on \(address) within \(Int(timeout)) s:\n"
                        + log)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    deinit {
        stop()
    }

    /// A bcrypt hash of `password` with a random salt, as htpasswd -B makes it.
    static func bcrypt(_ password: String) throws -> String {
        let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let salt = String((0..<22).map { _ in alphabet.randomElement()! })
        // The password travels in the environment, not in argv.
        let outcome = try BuiltProducts.runBlocking(
            "/usr/bin/perl", ["-e", "print crypt($ENV{GITFLEET_TEST_PASSWORD}, '$2b$05$\(salt)')"],
            environment: ["GITFLEET_TEST_PASSWORD": password])
        guard outcome.status == 0, outcome.standardOutput.hasPrefix("$2b$05$") else {
            throw StartError(description: "perl's crypt made no bcrypt hash (libxcrypt without bcrypt?): \(outcome)")
        }
        return outcome.standardOutput
    }

    /// The repository `path` (`demo/web`) in this registry: `127.0.0.1:<port>/demo/web`.
    public func repository(_ path: String) -> String { "\(address)/\(path)" }

    /// Pushes `source` (an image `engine` holds) here as `repository:tag` with this registry's credentials,
    /// then removes the pushed name from the engine (and checks it is gone) so that a pull has to come from the
    /// registry.
    public func push(_ source: String, from engine: PodmanEngine, as reference: ImageReference) async throws {
        let target = "\(reference.repository):\(reference.tag ?? "latest")"
        let pushed = try await engine.podman([
            "push", "--tls-verify=false", "--creds", "\(username):\(password)", source, "docker://\(target)",
        ])
        guard pushed.status == 0 else { throw FixtureError("podman push of \(source) to \(target) failed: \(pushed)") }
        let removed = try await engine.podman(["rmi", "--force", source])
        guard removed.status == 0 else { throw FixtureError("podman rmi \(source) failed: \(removed)") }
        let left = try await engine.podman(["image", "exists", target])
        guard left.status == 1 else { throw FixtureError("\(target) is still on the engine after the push: \(left)") }
    }

    /// What the registry wrote to its log (requests refused, errors).
    public var log: String { process.logTail(lines: 200) }

    /// Stops the registry and removes its storage. Idempotent.
    public func stop() {
        process.stop()
        directory.remove()
    }
}

/// A private registry holding the demo image as `<registry>/demo/web:1.0`, and a ``PodmanEngine`` that
/// reaches the registry over plain HTTP but does not hold the image: a pull must come from the registry.
public struct PrivateDemoImage: Sendable {
    public let registry: ImageRegistryServer
    public let engine: PodmanEngine
    /// `<registry>/demo/web:1.0`, unpinned.
    public let reference: ImageReference
    /// The image id the engine gave the image it pushed: what pulling the tag must resolve it to.
    public let pushedID: String

    public init(password: String) async throws {
        registry = try await ImageRegistryServer(password: password)
        do {
            engine = try await PodmanEngine(insecureRegistries: [registry.address])
        } catch {
            registry.stop()
            throw error
        }
        do {
            let images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
            let local = try await images.installDemo(tag: "1.0")
            let localName = "\(local.repository):1.0"
            let inspected = try await engine.podman(["image", "inspect", "--format", "{{.Id}}", localName])
            let id = inspected.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            guard inspected.status == 0, !id.isEmpty else {
                throw FixtureError("podman image inspect failed: \(inspected)")
            }
            pushedID = id.hasPrefix("sha256:") ? id : "sha256:\(id)"
            reference = ImageReference(repository: registry.repository("demo/web"), tag: "1.0")
            try await registry.push(localName, from: engine, as: reference)
        } catch {
            engine.stop()
            registry.stop()
            throw error
        }
    }

    /// Writes a `config.json` at `path` giving `username:password` for `host` as `docker login` does (`auth`).
    public static func writeConfig(to path: String, host: String, username: String, password: String) throws {
        let auth = Data("\(username):\(password)".utf8).base64EncodedString()
        try #"{"auths": {"\#(host)": {"auth": "\#(auth)"}}}"#.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Writes a `config.json` at `path` giving this registry's user `password`.
    public func writeConfig(to path: String, password: String) throws {
        try Self.writeConfig(to: path, host: registry.address, username: registry.username, password: password)
    }

    public func tearDown() {
        engine.stop()
        registry.stop()
    }
}
