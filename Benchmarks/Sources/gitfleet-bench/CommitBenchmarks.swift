import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Commit → action, `serve` start-up and the `validate`/`plan` commands, all measured from outside on the real
/// `gitfleet` release binary (see docs/performance.md, "commit → action" and "serve start-up").
enum CommitBenchmarks {
    /// One service of the demo image whose spec changes with `run` (an env value), so every commit replaces its
    /// one instance; no drain delay, so a run settles quickly. Health every second: often enough to settle a
    /// run soon, rarely enough that probes do not hide the poller's own cost in serve's idle CPU.
    static func webService(run: Int) -> String {
        """
        apiVersion: gitfleet/v1
        kind: Service
        metadata:
          name: web
        spec:
          image: demo/web:1.0.0
          replicas: 1
          env: {BENCH_RUN: "\(run)"}
          ports: {http: 0}
          health:
            http: {path: /healthz, port: http}
            interval: 1s
            timeout: 1s
            healthyThreshold: 1
          rollout: {maxSurge: 1, maxUnavailable: 0}
          drain: {delay: 0s, gracePeriod: 5s}

        """
    }

    /// `webhook` and `polling`: push a commit, announce it (or let the poller find it), and time until the
    /// first new instance's process exists. Between runs the fleet converges; the idle CPU of serve is read
    /// from `/proc/<pid>/stat` over `idleSeconds` while nothing changes.
    static func commitToAction(
        gitfleet: String, demo: String, webhook: Bool, pollMs: Int, runs: Int, idleSeconds: Double
    )
        async throws
    {
        let mode = webhook ? "signed webhook" : "polling every \(pollMs) ms"
        print("== \(webhook ? "webhook" : "polling"): \(mode) → first new instance's process exists ==")
        print("load average at start: \(loadAverage())")
        let harness = try ServeHarness(gitfleet: gitfleet, demo: demo)
        var failure: (any Error)? = nil
        do {
            var commit = try harness.commitAndPush(["services/web.yaml": webService(run: 0)], message: "run 0")
            // With webhooks the poller stays out of the way; with polling it is what is measured.
            try harness.start(pollInterval: webhook ? "10m" : "\(pollMs)ms")
            _ = try await harness.waitForPort()
            try await harness.waitConverged(at: commit)
            var latency = Timings(label: webhook ? "webhook → process" : "push → process ")
            var idle: [Double] = []
            for run in 1...runs {
                // Settled: measure what serve costs while nothing changes (the poller's cost, for polling).
                let cpuBefore = harness.cpuSeconds()
                let (_, idleWall) = try await timedAsync { try await Task.sleep(for: .seconds(idleSeconds)) }
                idle.append((harness.cpuSeconds() - cpuBefore) / idleWall)

                let known = harness.instanceIDs()
                if webhook {
                    // Pushed first (the remote holds the commit), then announced: the clock starts at the webhook.
                    commit = try harness.commitAndPush(
                        ["services/web.yaml": webService(run: run)], message: "run \(run)")
                    let push = try harness.signedPush(of: commit)
                    let started = ContinuousClock.now
                    let answer = try harness.request("POST", "/webhooks/github", body: push.body, headers: push.headers)
                    guard answer.status == 202 else { throw BenchmarkFailure("webhook answered \(answer)") }
                    let seen = try await harness.waitForNewProcess(besides: known)
                    latency.seconds.append((seen - started).seconds)
                } else {
                    // The clock starts when the remote's branch moves (its objects are there already).
                    commit = try harness.commitAndStage(
                        ["services/web.yaml": webService(run: run)], message: "run \(run)")
                    let started = ContinuousClock.now
                    try harness.moveBranch(to: commit)
                    let seen = try await harness.waitForNewProcess(besides: known)
                    latency.seconds.append((seen - started).seconds)
                }
                try await harness.waitConverged(at: commit)
            }
            print(latency.summary)
            let p50 = percentile(latency.seconds, 0.5)
            let p90 = percentile(latency.seconds, 0.9)
            let idleMedian = median(idle)
            print(String(format: "p50 %@, p90 %@", Timings.format(p50), Timings.format(p90)))
            print(String(format: "serve idle CPU between commits: %.2f %% of a core (median)", idleMedian * 100))
            print("load average at end: \(loadAverage())")
            if webhook {
                BenchRow(
                    id: "webhook", benchmark: "signed webhook → first new instance's process exists",
                    measured: "p50 \(Timings.format(p50)), p90 \(Timings.format(p90)) (\(runs) runs)",
                    target: "p50 ≤ 15 ms, p90 ≤ 30 ms", met: p50 <= 0.015 && p90 <= 0.030
                ).emit()
            } else {
                let bound = Double(pollMs) / 1_000 + 0.015
                BenchRow(
                    id: "polling", benchmark: "polling → first new instance's process",
                    measured: String(
                        format: "p50 %@, p90 %@ at a %d ms interval (%d runs); idle CPU %.2f %% of a core",
                        Timings.format(p50), Timings.format(p90), pollMs, runs, idleMedian * 100),
                    target: "≤ interval + 15 ms; idle CPU ≤ 1 % at a 100 ms interval",
                    met: p90 <= bound && idleMedian <= 0.01
                ).emit()
            }
        } catch {
            failure = error
        }
        await harness.tearDown()
        if let failure { throw failure }
    }

    /// `serve-start`: `gitfleet serve` from its start to `/readyz` 200 and to its first reconcile pass
    /// (`lastReconcileAt` in the status), on fleets of `sizes` services of the demo image with 0 replicas (so
    /// the pass is the controller's work alone, no instance is started). The first start of each size clones
    /// the remote and is not counted; the timed ones are restarts over the same state directory.
    static func serveStart(gitfleet: String, demo: String, sizes: [Int], runs: Int) async throws {
        print("== serve-start: start → /readyz 200, and → first pass done ==")
        print("load average at start: \(loadAverage())")
        var measured: [String] = []
        var met = true
        for size in sizes {
            let harness = try ServeHarness(gitfleet: gitfleet, demo: demo)
            var failure: (any Error)? = nil
            do {
                var files: [String: String] = [:]
                for index in 0..<size {
                    files["services/\(FixtureRepository.name(index)).yaml"] = """
                        apiVersion: gitfleet/v1
                        kind: Service
                        metadata:
                          name: \(FixtureRepository.name(index))
                        spec:
                          image: demo/web:1.0.0
                          replicas: 0
                          ports: {http: 0}
                          health: {http: {path: /healthz, port: http}}

                        """
                }
                try harness.commitAndPush(files, message: "\(size) services")
                var ready = Timings(label: "\(size) services: start → ready     ")
                var passed = Timings(label: "\(size) services: start → first pass")
                for run in 0...runs {
                    let started = ContinuousClock.now
                    try harness.start(pollInterval: "10m")
                    _ = try await harness.waitForPort()
                    var readyAt: ContinuousClock.Instant? = nil
                    var passedAt: ContinuousClock.Instant? = nil
                    let deadline = started.advanced(by: .seconds(120))
                    while readyAt == nil || passedAt == nil {
                        guard ContinuousClock.now < deadline else {
                            throw BenchmarkFailure("serve not ready within 120 s:\n\(harness.log.suffix(4_000))")
                        }
                        if readyAt == nil, (try? harness.request("GET", "/readyz"))?.status == 200 {
                            readyAt = ContinuousClock.now
                        }
                        if passedAt == nil, (try? harness.status())?["lastReconcileAt"] as? String != nil {
                            passedAt = ContinuousClock.now
                        }
                        usleep(1_000)
                    }
                    if run > 0 {
                        ready.seconds.append((readyAt! - started).seconds)
                        passed.seconds.append((passedAt! - started).seconds)
                    }
                    await harness.stop()
                }
                print(ready.summary)
                print(passed.summary)
                measured.append(
                    "\(size.grouped) manifests: ready \(Timings.format(ready.median)), first pass "
                        + Timings.format(passed.median))
                if size == 1_000 { met = met && ready.median <= 0.300 && passed.median <= 0.600 }
                if size == 10_000 { met = met && ready.median <= 2 }
            } catch {
                failure = error
            }
            await harness.tearDown()
            if let failure { throw failure }
        }
        print("load average at end: \(loadAverage())")
        BenchRow(
            id: "serve-start", benchmark: "`gitfleet serve` start → ready / first pass done",
            measured: measured.joined(separator: "; "),
            target: "1,000 manifests ≤ 300 ms / ≤ 600 ms; 10,000 manifests ≤ 2 s to ready", met: met
        ).emit()
    }

    /// `validate`: the `gitfleet validate`, `plan` and `plan --state-dir` processes on `services` manifests of
    /// the demo image, against the git CLI reading the same blobs (ls-tree + cat-file --batch) in the same run.
    static func validatePlan(gitfleet: String, demo: String, services: Int, runs: Int) throws {
        print("== validate: gitfleet validate and plan on \(services) manifests vs the git CLI ==")
        print("load average at start: \(loadAverage())")
        let fixture = try FixtureRepository.create(services: services, image: { _ in "demo/web:1.0.0" })
        defer { fixture.remove() }
        let state = NSTemporaryDirectory() + "gitfleet-bench-state-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        try Shell.run([gitfleet, "demo-images", "--state-dir", state, "--binary", demo])

        let commands: [(String, [String])] = [
            ("gitfleet validate            ", ["validate", "--repo", fixture.path]),
            ("gitfleet plan                ", ["plan", "--repo", fixture.path]),
            ("gitfleet plan --state-dir    ", ["plan", "--repo", fixture.path, "--state-dir", state]),
        ]
        var timings = commands.map { Timings(label: $0.0) }
        var git = Timings(label: "git ls-tree -r | cat-file --batch")
        for run in 0...runs {
            for (index, command) in commands.enumerated() {
                let (_, seconds) = try timed { try Shell.run([gitfleet] + command.1) }
                if run > 0 { timings[index].seconds.append(seconds) }
            }
            let (_, seconds) = try timed {
                try GitCLIReference.readServices(repository: fixture.path, commit: fixture.first)
            }
            if run > 0 { git.seconds.append(seconds) }
        }
        for timing in timings { print(timing.summary) }
        print(git.summary)
        let ratios = timings.map { $0.median / git.median }
        for (timing, ratio) in zip(timings, ratios) {
            print(String(format: "%@ / git: %.2f×", timing.label, ratio))
        }
        print("load average at end: \(loadAverage())")
        BenchRow(
            id: "validate-plan",
            benchmark: "`validate` and `plan` on \(services.grouped) manifests vs the same git reference",
            measured: String(
                format: "validate %@ (%.1f×), plan %@ (%.1f×), plan --state-dir %@ (%.1f×); git %@",
                Timings.format(timings[0].median), ratios[0], Timings.format(timings[1].median), ratios[1],
                Timings.format(timings[2].median), ratios[2], Timings.format(git.median)),
            target: "≤ 2×", met: ratios.allSatisfy { $0 <= 2 }
        ).emit()
    }

    static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

    /// The value at `fraction` of the sorted values (nearest rank).
    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

extension Int {
    /// With thousands separated by commas, as the issue's table writes sizes (`10,000`).
    var grouped: String {
        let digits = String(self)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return result
    }
}

/// Where the `gitfleet` release binary is: `--gitfleet`, or the one built next to gitfleet-bench.
struct GitfleetBinary: ParsableArguments {
    @Option(help: "The gitfleet binary; default: the one built next to gitfleet-bench.")
    var gitfleet: String?

    func path() throws -> String {
        if let gitfleet { return gitfleet }
        return try BuiltProduct.path("gitfleet")
    }
}

struct Webhook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Signed webhook → first new instance's process, on a real gitfleet serve (process runtime).")
    @OptionGroup var binary: GitfleetBinary
    @OptionGroup var demo: DemoOptions
    @Option var runs = 20
    @Option(help: "Seconds between settling and the next commit (serve's idle CPU is read over them).")
    var idleSeconds = 0.5
    func run() async throws {
        try await CommitBenchmarks.commitToAction(
            gitfleet: try binary.path(), demo: try demo.demoBinary(), webhook: true, pollMs: 0, runs: runs,
            idleSeconds: idleSeconds)
    }
}

struct Polling: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push → first new instance's process with polling only, and serve's idle CPU between commits.")
    @OptionGroup var binary: GitfleetBinary
    @OptionGroup var demo: DemoOptions
    @Option(help: "Poll interval in milliseconds.") var intervalMs = 100
    @Option var runs = 15
    @Option(help: "Seconds between settling and the next commit (serve's idle CPU is read over them).")
    var idleSeconds = 3.0
    func run() async throws {
        try await CommitBenchmarks.commitToAction(
            gitfleet: try binary.path(), demo: try demo.demoBinary(), webhook: false, pollMs: intervalMs, runs: runs,
            idleSeconds: idleSeconds)
    }
}

struct ServeStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-start", abstract: "gitfleet serve start → /readyz 200 and → first pass done.")
    @OptionGroup var binary: GitfleetBinary
    @OptionGroup var demo: DemoOptions
    @Option(parsing: .upToNextOption) var sizes = [1_000, 10_000]
    @Option var runs = 3
    func run() async throws {
        try await CommitBenchmarks.serveStart(
            gitfleet: try binary.path(), demo: try demo.demoBinary(), sizes: sizes, runs: runs)
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "gitfleet validate, plan and plan --state-dir on N manifests vs git ls-tree + cat-file.")
    @OptionGroup var binary: GitfleetBinary
    @OptionGroup var demo: DemoOptions
    @Option var services = 1_000
    @Option var runs = 5
    func run() throws {
        try CommitBenchmarks.validatePlan(
            gitfleet: try binary.path(), demo: try demo.demoBinary(), services: services, runs: runs)
    }
}
