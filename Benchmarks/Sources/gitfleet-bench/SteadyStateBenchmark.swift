import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

struct SteadyState: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steady-state",
        abstract: "(e) a real `gitfleet serve` watching N converged demo instances: its CPU, RSS and pass durations.")
    @Option(help: "The gitfleet-demo binary; default: the one built next to gitfleet-bench.") var demo: String?
    @Option(help: "The gitfleet binary; default: the one built next to gitfleet-bench.") var gitfleet: String?
    @Option var services = 20
    @Option var perService = 50
    @Option(help: "Health probe interval in milliseconds.") var probeMs = 1_000
    @Option(help: "The controller's resyncInterval in seconds: the only passes an idle fleet should run.")
    var resyncSeconds = 10
    @Option(help: "How long the converged controller is sampled, in seconds.") var seconds = 60.0
    @Option(help: "Keep the temporary directory and the controller's log.") var keep = false

    func run() async throws {
        let benchmark = SteadyStateBenchmark(
            gitfleet: try Self.binary("gitfleet", given: gitfleet), demo: try Self.binary("gitfleet-demo", given: demo),
            services: services, perService: perService, probeInterval: .milliseconds(probeMs),
            resyncSeconds: resyncSeconds, seconds: seconds, keep: keep)
        try await benchmark.run()
    }

    /// `given`, else the one built next to gitfleet-bench.
    static func binary(_ name: String, given: String?) throws -> String {
        if let given { return given }
        return try BuiltProduct.path(name)
    }
}

/// (e) the controller at steady state, measured from outside: a real `gitfleet serve` (release build) on a
/// temporary repository of `services` × `perService` demo instances (process runtime, SQLite registry), sampled
/// once converged for its CPU (`/proc/<pid>/stat`, utime + stime over wall time), its RSS (`/proc/<pid>/status`)
/// and its pass durations (`gitfleet_reconcile_duration_seconds` from `/metrics`, before and after).
struct SteadyStateBenchmark {
    let gitfleet: String
    let demo: String
    let services: Int
    let perService: Int
    let probeInterval: Duration
    let resyncSeconds: Int
    let seconds: Double
    let keep: Bool

    static let target = "≤ 3 % of a core, pass p50 ≤ 20 ms, RSS ≤ 60 MB"

    func run() async throws {
        let instances = services * perService
        print("== steady state: gitfleet serve with \(instances) demo instances (\(services) × \(perService)) ==")
        print("load average at start: \(loadAverage())")
        print(
            "probe interval \(Timings.format(probeInterval.seconds)), resyncInterval \(resyncSeconds)s,"
                + " process runtime, SQLite registry, sampled for \(Timings.format(seconds))")
        let directory = NSTemporaryDirectory() + "gitfleet-bench-steady-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let state = directory + "/state"
        let repository = directory + "/fleet"
        try Shell.run([gitfleet, "demo-images", "--state-dir", state, "--binary", demo])
        try writeRepository(repository)

        let log = directory + "/serve.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: gitfleet)
        serve.arguments = [
            "serve", "--repo", repository, "--state-dir", state, "--listen-host", "127.0.0.1", "--listen-port", "0",
            "--poll-interval", "30s", "--resync-interval", "\(resyncSeconds)s",
        ]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        serve.standardOutput = handle
        serve.standardError = handle
        serve.standardInput = FileHandle.nullDevice
        try serve.run()
        defer {
            if serve.isRunning {
                serve.terminate()
                serve.waitUntilExit()
            }
            cleanUp(state: state, directory: directory)
        }
        do {
            let port = try await Self.port(log: log)
            // For profiling the converged controller (`perf record -p PID`).
            print("controller pid \(serve.processIdentifier), listening on 127.0.0.1:\(port), log \(log)")
            // At once, so that a profiler can be pointed at the controller's pid while the benchmark runs.
            fflush(nil)
            let start = ContinuousClock.now
            try await waitConverged(port: port, instances: instances, log: log)
            print("converged: \(instances) serving in \(Timings.format((ContinuousClock.now - start).seconds))")
            // The rollout's last passes and the first probes of every instance are over by then.
            try await Task.sleep(for: .seconds(5))

            let pid = serve.processIdentifier
            let before = try await Self.metrics(port: port)
            let cpuBefore = try Self.cpuSeconds(pid: pid)
            let wallStart = ContinuousClock.now
            var rss: [Double] = []
            while (ContinuousClock.now - wallStart).seconds < seconds {
                try await Task.sleep(for: .seconds(1))
                rss.append(try Self.rssMB(pid: pid))
            }
            let cpu = try Self.cpuSeconds(pid: pid) - cpuBefore
            let wall = (ContinuousClock.now - wallStart).seconds
            let after = try await Self.metrics(port: port)
            let passes = PassHistogram(after).minus(PassHistogram(before))

            let share = cpu / wall * 100
            let rssMedian = rss.sorted()[rss.count / 2]
            let rssMax = rss.max() ?? 0
            print(String(format: "controller CPU over %.1f s: %.2f s = %.2f %% of one core", wall, cpu, share))
            print(String(format: "controller RSS: median %.1f MB, max %.1f MB", rssMedian, rssMax))
            print(
                "passes in the window: \(passes.count) (resyncs expected: ~\(Int(wall) / resyncSeconds)),"
                    + " mean \(passes.count > 0 ? Timings.format(passes.sum / Double(passes.count)) : "—"),"
                    + " p50 ≤ \(passes.median.map { Timings.format($0) } ?? "—") (histogram bucket)")
            print("load average at end: \(loadAverage())")
            let p50 = passes.median
            let met = share <= 3 && rssMax <= 60 && (p50 ?? .infinity) <= 0.020
            print("target \(Self.target): \(verdict(met))")
            BenchRow(
                id: "steady-state",
                benchmark:
                    "steady state, \(instances.formatted()) serving instances (\(services) × \(perService)),"
                    + " probe interval \(Timings.format(probeInterval.seconds))",
                measured: String(
                    format: "%.1f %% of a core, pass p50 ≤ %@ (%d passes), RSS %.0f MB (max)", share,
                    p50.map { Timings.format($0) } ?? "no pass", passes.count, rssMax),
                target: Self.target, met: met
            ).emit()
        } catch {
            let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(20)
            print("failed: \(error)\nlast lines of the controller's log:\n\(tail.joined(separator: "\n"))")
            throw error
        }
    }

    /// `services/svc-NN.yaml` for each service, committed with the git CLI.
    func writeRepository(_ path: String) throws {
        try Shell.run(["git", "init", "-q", "-b", "main", path])
        try FileManager.default.createDirectory(atPath: path + "/services", withIntermediateDirectories: true)
        let interval = "\(Int(probeInterval.seconds * 1000))ms"
        for index in 0..<services {
            let name = String(format: "svc-%02d", index)
            let manifest = """
                apiVersion: gitfleet/v1
                kind: Service
                metadata:
                  name: \(name)
                spec:
                  image: demo/web:1.0.0
                  replicas: \(perService)
                  ports: {http: 0}
                  health:
                    http: {path: /healthz, port: http}
                    interval: \(interval)
                    timeout: 2s
                    healthyThreshold: 1
                    unhealthyThreshold: 3
                    startTimeout: 120s
                  rollout: {maxSurge: \(perService), maxUnavailable: 0, progressDeadline: 600s}
                  drain: {delay: 0s, gracePeriod: 5s}

                """
            try manifest.write(toFile: "\(path)/services/\(name).yaml", atomically: true, encoding: .utf8)
        }
        try Shell.run(["git", "-C", path, "add", "-A"])
        try Shell.run([
            "git", "-C", path, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m",
            "\(services) services",
        ])
    }

    /// Waits until `/metrics` counts `instances` serving and no other live instance.
    func waitConverged(port: Int, instances: Int, log: String) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(900))
        var serving = 0
        while ContinuousClock.now < deadline {
            if let text = try? await Self.metrics(port: port) {
                serving = Int(
                    Self.samples(text, "gitfleet_instances").filter { $0.labels.contains("state=\"serving\"") }
                        .reduce(0) { $0 + $1.value })
                let converging = Self.samples(text, "gitfleet_service_phase")
                    .filter { $0.value == 1 && !$0.labels.contains("phase=\"converged\"") }
                FileHandle.standardError.write(Data("\rserving \(serving)/\(instances)   ".utf8))
                if serving == instances && converging.isEmpty {
                    FileHandle.standardError.write(Data("\n".utf8))
                    return
                }
            }
            try await Task.sleep(for: .seconds(1))
        }
        throw BenchmarkFailure("not converged after 900 s: \(serving) of \(instances) serving")
    }

    func cleanUp(state: String, directory: String) {
        // The demo instances outlive the controller: stop them by the pids the process runtime recorded.
        for file in (try? FileManager.default.subpathsOfDirectory(atPath: state)) ?? []
        where file.hasSuffix("instance.json") {
            if let data = FileManager.default.contents(atPath: "\(state)/\(file)"),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let pid = object["pid"] as? Int
            {
                kill(Int32(pid), SIGKILL)
            }
        }
        if keep {
            print("kept \(directory)")
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// The main listener's port, from the line `serve` logs once it is bound.
    static func port(log: String) async throws -> Int {
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: {
                $0.contains("listening on ") && !$0.contains("webhooks")
            }),
                let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
            {
                return port
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchmarkFailure("serve never said where it listens")
    }

    static func metrics(port: Int) async throws -> String {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        request.timeoutInterval = 30
        let (data, _) = try await URLSession.shared.data(for: request)
        return String(decoding: data, as: UTF8.self)
    }

    /// The samples of `family` (its name exactly, or with a suffix when `suffix` is given): labels as written.
    static func samples(_ text: String, _ family: String) -> [(labels: String, value: Double)] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), line.hasPrefix(family) else { return nil }
            let rest = line.dropFirst(family.count)
            guard rest.first == "{" || rest.first == " " else { return nil }
            let labels = rest.first == "{" ? String(rest.prefix { $0 != "}" }.dropFirst()) : ""
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { return nil }
            return (labels, value)
        }
    }

    /// utime + stime of `pid`, in seconds (fields 14 and 15 of /proc/<pid>/stat, in clock ticks).
    static func cpuSeconds(pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name (field 2) may hold spaces; the fields after it start past its closing parenthesis.
        guard let close = stat.lastIndex(of: ")") else { throw BenchmarkFailure("unreadable /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so utime (14) and stime (15) are fields[11] and fields[12].
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchmarkFailure("unreadable /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// VmRSS of `pid`, in MB.
    static func rssMB(pid: Int32) throws -> Double {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            if let kib = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) { return kib / 1024 }
        }
        throw BenchmarkFailure("no VmRSS in /proc/\(pid)/status")
    }

}

/// `gitfleet_reconcile_duration_seconds` as one scrape shows it: cumulative bucket counts, count and sum.
struct PassHistogram {
    var buckets: [(bound: Double, count: Double)]
    var count: Double
    var sum: Double

    init(_ text: String) {
        let name = "gitfleet_reconcile_duration_seconds"
        buckets = SteadyStateBenchmark.samples(text, name + "_bucket").compactMap { sample in
            guard let range = sample.labels.range(of: "le=\"") else { return nil }
            let bound = sample.labels[range.upperBound...].prefix { $0 != "\"" }
            return (bound == "+Inf" ? .infinity : Double(bound) ?? .infinity, sample.value)
        }.sorted { $0.bound < $1.bound }
        count = SteadyStateBenchmark.samples(text, name + "_count").first?.value ?? 0
        sum = SteadyStateBenchmark.samples(text, name + "_sum").first?.value ?? 0
    }

    /// The passes between `earlier` and this scrape.
    func minus(_ earlier: PassHistogram) -> (count: Int, sum: Double, median: Double?) {
        let counts = buckets.map { bucket in
            (bucket.bound, bucket.count - (earlier.buckets.first { $0.bound == bucket.bound }?.count ?? 0))
        }
        let total = count - earlier.count
        guard total > 0 else { return (0, 0, nil) }
        // The upper bound of the bucket holding the median pass: the median is at most this.
        let median = counts.first { $0.1 >= total / 2 }?.0
        return (Int(total), sum - earlier.sum, median)
    }
}
