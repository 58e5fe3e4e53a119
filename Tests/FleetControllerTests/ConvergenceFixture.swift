import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// The runtimes the rollout tests run on.
enum RuntimeKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case process
    /// Containers on a private Podman engine.
    case docker

    var description: String { rawValue }
}

/// A registry, a runtime and demo images `demo/web:<tag>`, torn down with every instance it started: real
/// parts (a state directory with a SQLite registry, processes or containers on a private Podman engine, the
/// system clock) to prove an integration, or simulated ones (``simulated()``) to test rollout logic fast.
final class ConvergenceFixture: Sendable {
    let stateDirectory: String
    let registry: any Registry
    let runtime: any Runtime
    let engine: PodmanEngine?
    /// What the converger reads the time from and waits on.
    let clock: any FleetClock
    /// The scripted runtime's host, when the fixture is simulated: tests script exits and health through it.
    let host: ScriptedHost?
    private let install: @Sendable (_ tag: String, _ env: [String: String]) async throws -> ImageReference

    /// On the process runtime.
    convenience init() throws {
        let stateDirectory = try RuntimeFixtures.temporaryDirectory("gitfleet-converge")
        let runtime = ProcessRuntime(stateDirectory: stateDirectory)
        let demoBinary = try RuntimeFixtures.demoBinary()
        try self.init(stateDirectory: stateDirectory, runtime: runtime, engine: nil) { tag, env in
            try DemoImage.install(into: runtime.images, tag: tag, binary: demoBinary, env: env)
        }
    }

    init(
        stateDirectory: String, runtime: any Runtime, engine: PodmanEngine?,
        install: @escaping @Sendable (_ tag: String, _ env: [String: String]) async throws -> ImageReference
    ) throws {
        self.stateDirectory = stateDirectory
        self.registry = try SQLiteRegistry(stateDirectory: URL(fileURLWithPath: stateDirectory))
        self.runtime = runtime
        self.engine = engine
        self.clock = SystemClock()
        self.host = nil
        self.install = install
    }

    private init(simulatedOn clock: SimulatedClock) throws {
        let host = ScriptedHost(clock: clock, servesHTTP: false)
        self.stateDirectory = try RuntimeFixtures.temporaryDirectory("gitfleet-simulated")
        self.registry = InMemoryRegistry()
        self.runtime = ScriptedRuntime(host: host)
        self.engine = nil
        self.clock = clock
        self.host = host
        self.install = { tag, env in host.installDemoImage(tag: tag, env: env) }
    }

    /// On simulated parts: an in-memory registry, a scripted runtime whose instances play the demo service
    /// (``ScriptedRuntime``), and a ``SimulatedClock``, so every wait of a rollout passes at once.
    static func simulated() throws -> ConvergenceFixture {
        try ConvergenceFixture(simulatedOn: SimulatedClock())
    }

    /// The simulated clock; nil on real parts.
    var simulatedClock: SimulatedClock? { clock as? SimulatedClock }

    /// Lets `duration` pass: at once on a simulated clock, on the wall clock otherwise.
    func pause(_ duration: Duration) async throws {
        if let simulatedClock {
            simulatedClock.advance(by: duration)
        } else {
            try await Task.sleep(for: duration)
        }
    }

    /// On `kind`; for Docker a new Podman engine with the demo image, stopped by ``tearDown()``.
    static func on(_ kind: RuntimeKind) async throws -> ConvergenceFixture {
        switch kind {
        case .process:
            return try ConvergenceFixture()
        case .docker:
            let engine = try await PodmanEngine()
            do {
                let stateDirectory = try RuntimeFixtures.temporaryDirectory("gitfleet-converge")
                let images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
                let runtime = try DockerRuntime(
                    endpoints: [engine.endpoint],
                    options: .init(scope: "rollout", evidenceDirectory: "\(stateDirectory)/evidence"))
                return try ConvergenceFixture(stateDirectory: stateDirectory, runtime: runtime, engine: engine) {
                    tag, env in try await images.installDemo(tag: tag, env: env)
                }
            } catch {
                engine.stop()
                throw error
            }
        }
    }

    /// Installs demo image `demo/web:<tag>` and returns the reference pinned to its digest.
    func image(_ tag: String, env: [String: String] = [:]) async throws -> ImageReference {
        try await runtime.resolve(try await install(tag, env))
    }

    /// A web service of the demo image, health-checked over HTTP, with quick drains for tests.
    func webService(
        image: ImageReference, replicas: Int = 3, progressDeadline: Duration = .seconds(60),
        startTimeout: Duration = .seconds(30), minReady: Duration = .zero
    ) -> ServiceSpec {
        ServiceSpec(
            name: "web", image: image, replicas: replicas, ports: ["http": 0],
            // Scripted instances do not listen (see simulated()); an exec probe asks them how they are.
            health: HealthCheck(
                probe: host == nil ? .http(path: "/healthz", port: "http") : .exec(command: ["healthcheck"]),
                interval: .milliseconds(200),
                timeout: .seconds(1), healthyThreshold: 1, unhealthyThreshold: 2, startTimeout: startTimeout),
            rollout: RolloutPolicy(
                maxSurge: .count(1), maxUnavailable: .count(0), minReady: minReady, progressDeadline: progressDeadline),
            drain: DrainPolicy(delay: .milliseconds(300), gracePeriod: .seconds(5)))
    }

    func converger(
        runtime: (any Runtime)? = nil, metrics: FleetMetrics? = nil, discovery: DiscoveryPublisher? = nil,
        events: EventLog? = nil
    ) -> Converger {
        Converger(
            registry: registry, runtime: runtime ?? self.runtime, options: .init(tick: .milliseconds(100)),
            metrics: metrics, discovery: discovery, events: events, clock: clock)
    }

    func records(_ service: String = "web") async throws -> [InstanceRecord] {
        try await registry.instances(service: service).map(\.record)
    }

    /// Kills one serving instance of web (simulated host only) and reconciles `fleet()` until `replicas` serve again
    /// without it (or 20 s pass); returns the killed instance and those serving at the end.
    func killOneAndHeal(
        _ converger: Converger, replicas: Int, fleet: () async throws -> Fleet
    ) async throws -> (victim: InstanceRecord, serving: [InstanceRecord]) {
        let victim = try #require(try await records().first { $0.state == .serving })
        await host?.exit(victim.id)
        var serving: [InstanceRecord] = []
        for _ in 0..<100 {
            _ = try await converger.reconcile(try await fleet())
            serving = try await records().filter { $0.state == .serving }
            if serving.count == replicas && !serving.contains(where: { $0.id == victim.id }) { break }
            try await pause(.milliseconds(200))
        }
        return (victim, serving)
    }

    /// Stops and destroys everything the runtime holds, then removes the state directory (and the engine).
    func tearDown() async {
        for instance in (try? await runtime.inventory()) ?? [] {
            _ = try? await runtime.stop(instanceID: instance.instanceID, gracePeriod: .seconds(2))
            try? await runtime.destroy(instanceID: instance.instanceID, keepLogs: false)
        }
        await runtime.close()
        try? await registry.close()
        try? FileManager.default.removeItem(atPath: stateDirectory)
        engine?.stop()
        await host?.shutDown()
    }
}
