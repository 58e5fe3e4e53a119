import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation

/// (d) a rolling replacement of 50 demo instances ((e), the controller at steady state, is SteadyStateBenchmark).
enum RuntimeBenchmarks {
    /// A temp state directory with a SQLite registry, the process runtime and demo images 1 and 2.
    struct Setup {
        let stateDirectory: String
        let registry: SQLiteRegistry
        let runtime: ProcessRuntime
        let v1: ImageReference
        let v2: ImageReference

        static func make(demoBinary: String) async throws -> Setup {
            let directory = NSTemporaryDirectory() + "gitfleet-bench-state-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let registry = try SQLiteRegistry(stateDirectory: URL(fileURLWithPath: directory))
            let runtime = ProcessRuntime(stateDirectory: directory)
            let v1 = try await runtime.resolve(
                DemoImage.install(into: runtime.images, tag: "1.0.0", binary: demoBinary))
            let v2 = try await runtime.resolve(
                DemoImage.install(into: runtime.images, tag: "2.0.0", binary: demoBinary))
            return Setup(stateDirectory: directory, registry: registry, runtime: runtime, v1: v1, v2: v2)
        }

        func tearDown() async {
            for instance in (try? await runtime.inventory()) ?? [] {
                _ = try? await runtime.stop(instanceID: instance.instanceID, gracePeriod: .seconds(2))
                try? await runtime.destroy(instanceID: instance.instanceID, keepLogs: false)
            }
            try? await registry.close()
            try? FileManager.default.removeItem(atPath: stateDirectory)
        }
    }

    static func service(
        _ name: String, image: ImageReference, replicas: Int, surge: Int, drainDelay: Duration,
        probeInterval: Duration
    ) -> ServiceSpec {
        ServiceSpec(
            name: name, image: image, replicas: replicas, ports: ["http": 0],
            health: HealthCheck(
                probe: .http(path: "/healthz", port: "http"), interval: probeInterval, timeout: .seconds(2),
                healthyThreshold: 1, unhealthyThreshold: 3, startTimeout: .seconds(120)),
            rollout: RolloutPolicy(
                maxSurge: .count(surge), maxUnavailable: .count(0), progressDeadline: .seconds(600)),
            drain: DrainPolicy(delay: drainDelay, gracePeriod: .seconds(5)))
    }

    /// Start-to-healthy and stop times of single demo instances, measured straight on the runtime.
    struct InstanceTimes {
        var startToHealthy: Timings
        var stop: Timings
    }

    static func measureInstance(_ setup: Setup, samples: Int) async throws -> InstanceTimes {
        var startToHealthy = Timings(label: "demo start → /healthz 200 (runtime.start + 2 ms polling)")
        var stop = Timings(label: "demo stop + destroy (SIGTERM → exit, files removed)      ")
        let spec = service("probe", image: setup.v1, replicas: 1, surge: 1, drainDelay: .zero, probeInterval: .zero)
        for sample in 0..<samples {
            let launch = InstanceLaunch(
                instanceID: "probe-\(sample)", service: "probe", specHash: SpecHash(spec), image: setup.v1,
                ports: ["http": 0])
            let begin = ContinuousClock.now
            let instance = try await setup.runtime.start(launch)
            guard let port = instance.ports["http"] else { throw BenchmarkFailure("no port allocated") }
            while true {
                if let response = try? await BenchHTTP.get(port: port, path: "/healthz", timeout: .seconds(1)),
                    response.status == 200
                {
                    break
                }
                guard ContinuousClock.now - begin < .seconds(30) else {
                    throw BenchmarkFailure("demo instance never became healthy")
                }
                try await Task.sleep(for: .milliseconds(2))
            }
            startToHealthy.seconds.append((ContinuousClock.now - begin).seconds)
            let stopBegin = ContinuousClock.now
            _ = try await setup.runtime.stop(instanceID: launch.instanceID, gracePeriod: .seconds(5))
            try await setup.runtime.destroy(instanceID: launch.instanceID, keepLogs: false)
            stop.seconds.append((ContinuousClock.now - stopBegin).seconds)
        }
        return InstanceTimes(startToHealthy: startToHealthy, stop: stop)
    }

    static func rollout(
        demoBinary: String, replicas: Int, surge: Int, drainDelay: Duration, probeInterval: Duration,
        tick: Duration, runs: Int
    ) async throws {
        print("== rollout: \(replicas) demo instances, maxSurge \(surge), maxUnavailable 0, process runtime ==")
        print("load average at start: \(loadAverage())")
        print(
            "drain delay \(Timings.format(drainDelay.seconds)), probe interval \(Timings.format(probeInterval.seconds)),"
                + " converger tick \(Timings.format(tick.seconds)), healthyThreshold 1, minReady 0")
        let setup = try await Setup.make(demoBinary: demoBinary)
        defer { Task.detached { await setup.tearDown() } }
        do {
            let times = try await measureInstance(setup, samples: 10)
            print(times.startToHealthy.summary)
            print(times.stop.summary)

            let converger = Converger(registry: setup.registry, runtime: setup.runtime, options: .init(tick: tick))
            var totals = Timings(label: "rollout total (converge v1 → v2)")
            var images = [setup.v1, setup.v2]
            let (_, initial) = try await timedAsync {
                try await converge(converger, image: images[0], replicas, surge, drainDelay, probeInterval)
            }
            print("initial creation of \(replicas) (untimed below): \(Timings.format(initial))")
            for _ in 0..<runs {
                images.reverse()
                let (_, seconds) = try await timedAsync {
                    try await converge(converger, image: images[0], replicas, surge, drainDelay, probeInterval)
                }
                totals.seconds.append(seconds)
            }
            let waves = (replicas + surge - 1) / surge
            let perWave = times.startToHealthy.median + drainDelay.seconds + times.stop.median
            let minimum = Double(waves) * perWave
            print(totals.summary)
            print(
                "model: minimum = ceil(\(replicas)/\(surge)) = \(waves) waves × (start→healthy"
                    + " \(Timings.format(times.startToHealthy.median)) + drain delay \(Timings.format(drainDelay.seconds))"
                    + " + stop \(Timings.format(times.stop.median))) = \(Timings.format(minimum))")
            let overhead = (totals.median - minimum) / minimum
            print(
                String(
                    format: "controller overhead: %@ over the minimum = %+.1f%% — target ≤ +25%%: %@",
                    Timings.format(totals.median - minimum), overhead * 100, verdict(overhead <= 0.25)))
            print("load average at end: \(loadAverage())")
            BenchRow(
                id: "rollout", benchmark: "rolling update of \(replicas), maxSurge \(surge), vs the readiness model",
                measured: String(
                    format: "%+.0f %% (rollout median %@ of %d runs, model %@; probe interval %@)", overhead * 100,
                    Timings.format(totals.median), runs, Timings.format(minimum),
                    Timings.format(probeInterval.seconds)),
                target: "≤ +25 %", met: overhead <= 0.25
            ).emit()
        }
        await setup.tearDown()
        ProcessMemory.report()
    }

    static func converge(
        _ converger: Converger, image: ImageReference, _ replicas: Int, _ surge: Int, _ drainDelay: Duration,
        _ probeInterval: Duration
    ) async throws {
        let spec = service(
            "web", image: image, replicas: replicas, surge: surge, drainDelay: drainDelay, probeInterval: probeInterval)
        let report = try await converger.converge(Fleet(name: "bench", services: [spec]), timeout: .seconds(600))
        guard report.allSatisfy({ $0.phase == .converged }) else {
            throw BenchmarkFailure("rollout did not converge: \(report)")
        }
    }
}
