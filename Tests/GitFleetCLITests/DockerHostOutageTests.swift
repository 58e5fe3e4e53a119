import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// The Docker host goes away in the middle of a rollout: the private Podman's API service is stopped (its
/// containers keep running, as when a host's engine or its socket stops answering) and started again later.
@Suite("gitfleet serve: the Docker host disappears mid-rollout and comes back", .serialized)
struct DockerHostOutageTests {
    @Test("Nothing is destroyed or duplicated while the engine is away, and the rollout finishes after")
    func engineAwayMidRollout() async throws {
        let engine = try await PodmanEngine()
        defer { engine.stop() }
        let images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
        for tag in ["1.0", "1.1"] { try await images.installDemo(tag: tag) }
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try ChaosRollout.prepare(fleet, remote: remote, image: "\(ContainerImages.demoRepository):1.0")
        let observed = DockerStateFleet(fleet: fleet, engine: engine, service: "web")
        try await fleet.withServe(
            remote, extra: ["--runtime", "docker", "--docker-hosts", "unix://\(engine.socketPath)"]
        ) { serve in
            let rollout = try await ChaosRollout.start(
                fleet, remote: remote, from: v1, image: "\(ContainerImages.demoRepository):1.1", serve: serve,
                records: fleet.records)
            let sampler = InvariantSampler(ChaosRollout.invariants, watching: observed, converged: true)
            await sampler.start()

            // At once, requests in flight and all (a drain's stop, say), as a host that goes away.
            engine.stopService(grace: 0)
            let outageBegan = ContinuousClock.now
            let outage = try await OutageWindow.begin(observed)
            let before = try await observed.containers()
            // Several passes and probe rounds: long enough for a controller that destroyed what a failed inventory
            // did not list, or started again what it could not see, to do so; and for it to say so, which takes
            // about 10 s when the outage catches a drain's stop in flight (that call hangs; why is not known yet).
            var readiness = ""
            while ContinuousClock.now - outageBegan < .seconds(14) {
                if let ready = try? await serve.request("GET", "/readyz"), ready.status == 503 {
                    readiness = ready.body
                }
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(
                readiness.contains("runtime: ") && readiness.contains(engine.socketPath),
                "/readyz never said which Docker host failed: \(readiness)\n\(serve.log)")
            #expect(
                serve.log.contains("reconcile failed: hostUnavailable: docker host unix://\(engine.socketPath)"),
                "the log never said which Docker host failed:\n\(serve.log)")
            try await outage.expectNothingDestroyed(observed, during: "the Docker engine's outage")
            let during = try await observed.containers()
            #expect(
                during.subtracting(before).isEmpty, "containers created while the engine was away: \(during.sorted())")

            try await engine.start()
            let (recovered, report) = await rollout.expectRecovery(
                sampler, after: "the engine came back", serve: serve)
            print("docker host away for 14 s: \(report); converged \(recovered) after it came back")
            try await rollout.expectConverged(observed)
            let left = try await observed.containers()
            #expect(left.count == ChaosRollout.replicas, "containers left on the engine: \(left.sorted())")
        }
    }
}
