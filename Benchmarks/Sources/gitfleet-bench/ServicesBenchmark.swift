import ArgumentParser
import FleetController
import FleetModel
import FleetRuntime
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

struct Services: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "1,000 services × 1 instance from one commit, through gitfleet serve, until every one converged.")
    @OptionGroup var demo: DemoOptions
    @Option(help: "The gitfleet binary; default: the one built next to gitfleet-bench.") var gitfleet: String?
    @Option var services = 1_000
    @Option var runs = 1
    func run() async throws {
        try await ServicesBenchmark.run(
            gitfleet: try ServicesBenchmark.gitfleetBinary(gitfleet), demoBinary: try demo.demoBinary(),
            services: services, probeInterval: .milliseconds(demo.probeMs == 100 ? 1_000 : demo.probeMs), runs: runs)
    }
}

/// 1,000 services × 1 instance from one commit, through the real `gitfleet serve` release binary: the process
/// runtime with gitfleet-demo, the SQLite registry, the repository polled every 100 ms. Timed from the commit
/// until `/api/v1/status` says every service of that commit is converged; the controller's CPU and RSS are read
/// from `/proc/<pid>`.
enum ServicesBenchmark {
    static func run(gitfleet: String, demoBinary: String, services: Int, probeInterval: Duration, runs: Int)
        async throws
    {
        print("== services: \(services) services × 1 instance from one commit, gitfleet serve, process runtime ==")
        print("load average at start: \(loadAverage())")
        var totals = Timings(label: "commit → every service converged")
        var cpu: [Double] = []
        var rss: [Int] = []
        for run in 0..<runs {
            let figures = try await once(
                gitfleet: gitfleet, demoBinary: demoBinary, services: services, probeInterval: probeInterval)
            print(
                "run \(run + 1): converged in \(Timings.format(figures.seconds)); first service converged after "
                    + "\(Timings.format(figures.first)); controller CPU \(String(format: "%.1f", figures.cpu)) s, "
                    + "RSS \(ProcessMemory.describe(figures.rssKiB))")
            totals.seconds.append(figures.seconds)
            cpu.append(figures.cpu)
            rss.append(figures.rssKiB)
        }
        print(totals.summary)
        print("load average at end: \(loadAverage())")
        let met = totals.median <= 60
        BenchRow(
            id: "services-1000",
            benchmark: "1,000 services × 1 instance from one commit, converged",
            measured: "\(services) services converged \(Timings.format(totals.median)) after the commit (median of "
                + "\(runs)), controller CPU \(String(format: "%.1f", cpu.sorted()[cpu.count / 2])) s, RSS "
                + ProcessMemory.describe(rss.sorted()[rss.count / 2]),
            target: "≤ 60 s on this 2-core machine", met: met
        ).emit()
    }

    struct Figures {
        var seconds: Double
        var first: Double
        var cpu: Double
        var rssKiB: Int
    }

    static func once(gitfleet: String, demoBinary: String, services: Int, probeInterval: Duration) async throws
        -> Figures
    {
        let root = NSTemporaryDirectory() + "gitfleet-bench-services-\(getpid())-\(UUID().uuidString.prefix(6))"
        let repository = root + "/fleet"
        let state = root + "/state"
        try FileManager.default.createDirectory(atPath: repository + "/services", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Shell.run([gitfleet, "demo-images", "--state-dir", state, "--binary", demoBinary])
        try Shell.run(["git", "init", "-q", "-b", "main", repository])
        try fleetFile.write(toFile: repository + "/fleet.yaml", atomically: true, encoding: .utf8)
        let empty = try commit(repository, "an empty fleet")

        let serve = try ServeProcess(gitfleet: gitfleet, repository: repository, state: state, log: root + "/serve.log")
        defer { serve.stop() }
        do {
            let port = try await serve.port()
            _ = try await waitForStatus(port: port, serve: serve, timeout: .seconds(60)) {
                $0.revision == empty && $0.result == "converged"
            }
            for index in 0..<services {
                try serviceFile(index, probeInterval: probeInterval).write(
                    toFile: repository + "/services/\(name(index)).yaml", atomically: false, encoding: .utf8)
            }
            let target = try commit(repository, "\(services) services")
            let begin = ContinuousClock.now
            var first: Double?
            let status = try await waitForStatus(port: port, serve: serve, timeout: .seconds(600)) { status in
                if first == nil, status.revision == target,
                    status.services.contains(where: { $0.result == "converged" })
                {
                    first = (ContinuousClock.now - begin).seconds
                }
                return status.revision == target && status.services.count == services
                    && status.services.allSatisfy { $0.result == "converged" }
            }
            let seconds = (ContinuousClock.now - begin).seconds
            guard status.result == "converged" else { throw BenchmarkFailure("fleet not converged: \(status.result)") }
            let figures = Figures(
                seconds: seconds, first: first ?? seconds, cpu: serve.cpuSeconds, rssKiB: serve.residentKiB)
            // serve first: while it runs, it replaces every instance stopped under it.
            serve.stop()
            await stopInstances(state: state)
            return figures
        } catch {
            print("serve's log ends:\n\(serve.log.split(separator: "\n").suffix(20).joined(separator: "\n"))")
            serve.stop()
            await stopInstances(state: state)
            throw error
        }
    }

    /// Stops and removes the instances serve started (they outlive it, as they would a controller's restart).
    static func stopInstances(state: String) async {
        let scope = RuntimeScope.derived(
            fromRegistry: ControllerConfiguration.embeddedRegistryIdentity(stateDirectory: state))
        let runtime = ProcessRuntime(stateDirectory: state, scope: scope)
        let instances = (try? await runtime.inventory()) ?? []
        await withTaskGroup(of: Void.self) { group in
            for chunk in stride(from: 0, to: instances.count, by: 50).map({
                instances[$0..<min($0 + 50, instances.count)]
            }) {
                group.addTask {
                    for instance in chunk {
                        _ = try? await runtime.stop(instanceID: instance.instanceID, gracePeriod: .seconds(2))
                        try? await runtime.destroy(instanceID: instance.instanceID, keepLogs: false)
                    }
                }
            }
        }
        await runtime.close()
    }

    struct Status: Decodable {
        struct Service: Decodable {
            var name: String
            var result: String
        }
        var revision: String?
        var result: String
        var services: [Service]
    }

    /// Polls `/api/v1/status` every 100 ms until `done` holds.
    static func waitForStatus(
        port: Int, serve: ServeProcess, timeout: Duration, _ done: (Status) -> Bool
    ) async throws -> Status {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var last: Status?
        while ContinuousClock.now < deadline {
            guard serve.isRunning else { throw BenchmarkFailure("gitfleet serve exited") }
            if let response = try? await BenchHTTP.get(port: port, path: "/api/v1/status", timeout: .seconds(10)),
                response.status == 200, let status = try? JSONDecoder().decode(Status.self, from: response.body)
            {
                last = status
                if done(status) { return status }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let converged = last?.services.filter { $0.result == "converged" }.count ?? 0
        throw BenchmarkFailure(
            "not converged within \(timeout): \(converged) of \(last?.services.count ?? 0) services converged")
    }

    static func commit(_ repository: String, _ message: String) throws -> String {
        try Shell.run(["git", "-C", repository, "add", "-A"])
        try Shell.run([
            "git", "-C", repository, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q",
            "-m", message,
        ])
        return try Shell.output(["git", "-C", repository, "rev-parse", "HEAD"]).trimmed
    }

    /// The gitfleet built next to gitfleet-bench, as ``DemoOptions/demoBinary()`` finds gitfleet-demo.
    static func gitfleetBinary(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        return try BuiltProduct.path("gitfleet")
    }

    static func name(_ index: Int) -> String { "svc-" + String(format: "%04d", index) }

    static let fleetFile = """
        apiVersion: gitfleet/v1
        kind: Fleet
        metadata:
          name: bench-services
        spec:
          defaults:
            drain: {delay: 1s, gracePeriod: 5s}

        """

    /// One demo instance with an HTTP readiness check, as a small service's manifest would say.
    static func serviceFile(_ index: Int, probeInterval: Duration) -> String {
        """
        apiVersion: gitfleet/v1
        kind: Service
        metadata:
          name: \(name(index))
        spec:
          image: demo/web:1.0.0
          replicas: 1
          ports: {http: 0}
          health:
            http: {path: /healthz, port: http}
            interval: \(probeInterval.milliseconds)ms
            timeout: 2s
            healthyThreshold: 1
            startTimeout: 300s
          rollout: {maxSurge: 1, maxUnavailable: 0, progressDeadline: 600s}

        """
    }
}

/// `gitfleet serve` run as its own process, its output in a file.
final class ServeProcess {
    let process = Process()
    let logPath: String

    init(gitfleet: String, repository: String, state: String, log: String) throws {
        logPath = log
        guard FileManager.default.createFile(atPath: log, contents: nil) else {
            throw BenchmarkFailure("cannot create \(log)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.executableURL = URL(fileURLWithPath: gitfleet)
        process.arguments = [
            "serve", "--repo", repository, "--state-dir", state, "--poll-interval", "100ms", "--listen-port", "0",
            "--controller-id", "bench",
        ]
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The port from the `listening on …:PORT` line serve logs once it is bound.
    func port() async throws -> Int {
        for _ in 0..<600 {
            for line in log.split(separator: "\n") where line.contains("listening on ") && !line.contains("webhooks") {
                let digits = line.reversed().drop { !$0.isNumber }.prefix { $0.isNumber }
                if let port = Int(String(digits.reversed())) { return port }
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkFailure("gitfleet serve never said where it listens:\n\(log)")
    }

    /// User + system CPU seconds of the serve process, from /proc/<pid>/stat.
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return .nan }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14 and stime 15 (1-based), so 11 and 12 here.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident set size of the serve process in KiB (VmRSS of /proc/<pid>/status).
    var residentKiB: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        return -1
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

/// A plain HTTP GET on loopback, for probes and the controller's API.
enum BenchHTTP {
    struct Response {
        var status: Int
        var body: Data
    }

    static func get(port: Int, path: String, timeout: Duration) async throws -> Response {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = timeout.seconds
        let (data, response) = try await URLSession.shared.data(for: request)
        return Response(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }
}
