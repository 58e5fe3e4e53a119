import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// A settled `gitfleet serve` with a 10-minute resync still notices, between passes, an instance that dies:
/// it leaves discovery within two probe intervals and is replaced within its start time.
@Suite("gitfleet serve observes a settled fleet between resyncs", .serialized)
struct ServeObservationTests {
    static let probeInterval: Duration = .seconds(3)
    static let startTimeout: Duration = .seconds(20)

    /// Two replicas probed every 3 s (generous: the bound is two intervals on a loaded machine); a 20 s start time.
    static func web(_ image: String) -> String {
        """
        apiVersion: gitfleet/v1
        kind: Service
        metadata:
          name: web
        spec:
          image: \(image)
          replicas: 2
          ports: {http: 0}
          health:
            http: {path: /healthz, port: http}
            interval: 3s
            timeout: 1s
            healthyThreshold: 1
            unhealthyThreshold: 2
            startTimeout: 20s
          rollout: {maxSurge: 1, maxUnavailable: 0, progressDeadline: 60s}
          drain: {delay: 200ms, gracePeriod: 5s}
        """
    }

    static func extra(output: String) -> [String] {
        [
            "--resync-interval", "10m", "--discovery-outputs", "nginx:\(output)", "--discovery-reload-command",
            "/bin/true",
        ]
    }

    @Test(
        "a serving instance killed with SIGKILL leaves the discovery output within two probe intervals and its replacement serves within its start time"
    )
    func killedProcessIsReplaced() async throws {
        try await Self.strikeSettledServe(image: "demo/web:1.0.0") { victim, _ in
            let pid = try #require(Int32(victim.runtimeHandle ?? ""), "the process runtime's handle is the pid")
            #expect(kill(pid, SIGKILL) == 0)
        }
    }

    @Test(
        "a container removed with podman rm -f leaves the discovery output within two probe intervals and its replacement serves within its start time"
    )
    func removedContainerIsReplaced() async throws {
        let engine = try await PodmanEngine()
        defer { engine.stop() }
        let images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
        try await images.installDemo(tag: "1.0")
        try await Self.strikeSettledServe(
            image: "\(ContainerImages.demoRepository):1.0",
            extra: ["--runtime", "docker", "--docker-hosts", "unix://\(engine.socketPath)"]
        ) { victim, fleet in
            let removed = try await engine.podman(["rm", "-f", "\(fleet.scope).\(victim.id)"])
            try #require(removed.status == 0, "\(removed)")
        }
    }

    @Test("a settled serve runs no reconcile pass between resyncs: its instances are probed, nothing is due")
    func settledServeRunsNoPass() async throws {
        try await Self.withSettledServe(image: "demo/web:1.0.0") { _, serve, _, _ in
            func passes() async throws -> Double {
                let metrics = try PrometheusExposition(try await serve.request("GET", "/metrics").body)
                return metrics.samples.filter { $0.name == "gitfleet_reconciles_total" }.reduce(0) { $0 + $1.value }
            }
            // The rollout's last passes may still be running: wait until two looks 2 s apart agree.
            var settled = try await passes()
            for _ in 0..<15 {
                try await Task.sleep(for: .seconds(2))
                let now = try await passes()
                if now == settled { break }
                settled = now
            }
            // Three probe intervals: every instance is probed three times, and no pass runs.
            try await Task.sleep(for: Self.probeInterval * 3)
            #expect(try await passes() == settled, "passes ran with nothing due:\n\(serve.log)")
        }
    }

    // MARK: - Support

    /// Runs `serve` (10-minute resync, an nginx output) on a fleet of two `image` instances until it settled,
    /// lets `strike` kill one of them behind its back, and expects it replaced (see ``expectReplaced``).
    static func strikeSettledServe(
        image: String, extra: [String] = [],
        _ strike: (_ victim: InstanceRecord, _ fleet: EmbeddedFleet) async throws -> Void
    ) async throws {
        try await withSettledServe(image: image, extra: extra) { fleet, serve, output, victim in
            try await strike(victim, fleet)
            try await Self.expectReplaced(victim, fleet: fleet, serve: serve, output: output)
        }
    }

    /// Runs `serve` (10-minute resync, an nginx output at `output`) on a fleet of two `image` instances until it
    /// settled, then `body` with one of the instances.
    static func withSettledServe(
        image: String, extra: [String] = [],
        _ body: (_ fleet: EmbeddedFleet, _ serve: ServeProcess, _ output: String, _ instance: InstanceRecord)
            async throws -> Void
    ) async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let output = fleet.repository.directory.appending("upstreams.conf")
        try fleet.repository.git.write("services/web.yaml", Self.web(image))
        let v1 = try fleet.repository.git.commit("web \(image)")
        try fleet.push()
        try await fleet.withServe(remote, extra: extra + Self.extra(output: output)) { serve in
            let instance = try await Self.settle(fleet: fleet, serve: serve, remote: remote, commit: v1, output: output)
            try await body(fleet, serve, output, instance)
        }
    }

    /// Waits until `commit` converged with both instances in the discovery output; returns one of them.
    static func settle(
        fleet: EmbeddedFleet, serve: ServeProcess, remote: GitFixture, commit: String, output: String
    ) async throws -> InstanceRecord {
        let note = await remote.waitForNote(on: commit, timeout: .seconds(120)) { $0.contains("\nresult: converged") }
        try #require(note?.contains("result: converged") == true, "\(serve.log)")
        let serving = try await fleet.records().filter { $0.state == .serving }
        try #require(serving.count == 2, "\(serving)")
        _ = try await waitUntil("both instances are in the discovery output", within: .seconds(30)) {
            let file = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            return serving.allSatisfy { file.contains($0.id) }
        }
        return serving[0]
    }

    /// The instance leaves the output within two probe intervals, is quarantined, and a new one serves (and
    /// is in the output) within its start time; all long before the 10-minute resync.
    static func expectReplaced(
        _ victim: InstanceRecord, fleet: EmbeddedFleet, serve: ServeProcess, output: String
    ) async throws {
        let left = try await waitUntil("\(victim.id) leaves the discovery output", within: .seconds(60)) {
            !((try? String(contentsOfFile: output, encoding: .utf8)) ?? victim.id).contains(victim.id)
        }
        #expect(left <= probeInterval * 2, "\(victim.id) left discovery only after \(left):\n\(serve.log)")
        let replaced = try await waitUntil("a replacement serves", within: .seconds(120)) {
            let records = (try? await fleet.records()) ?? []
            let serving = records.filter { $0.state == .serving && $0.id != victim.id }
            let file = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            return serving.count == 2 && serving.allSatisfy { file.contains($0.id) }
        }
        #expect(replaced <= startTimeout, "the replacement served only after \(replaced):\n\(serve.log)")
        let record = try await fleet.records().first { $0.id == victim.id }
        #expect(record?.state == .quarantined, "the dead instance is kept as evidence: \(String(describing: record))")
        // Who noticed first (the observer, or a pass that was running anyway) is a race; the bounds above are
        // what a 10-minute resync could never meet. InstanceObserverTests pins the observer itself.
    }

    /// Polls `condition` every 50 ms; returns how long it took to hold, or fails after `timeout`.
    static func waitUntil(
        _ what: String, within timeout: Duration, _ condition: () async -> Bool
    ) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < timeout {
            if await condition() { return clock.now - start }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("timed out after \(timeout) waiting until \(what)")
    }
}
