import FleetController
import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// The startup phase of probing (docs/manifest.md): a new instance is probed at its check's startup interval until
/// its first success, then at its interval. Checked against a real demo instance whose health port is a test
/// server that counts the probes and fails the first ones, with an interval too long for a second look within the
/// start timeout: only the startup phase can promote it.
@Suite("Startup phase of probing", .serialized)
struct StartupPhaseTests {
    /// The first `failures` probes answer 503, every later one 200.
    static func countingServer(failures: Int) async throws -> RecordingHTTPServer {
        try await RecordingHTTPServer.start(status: { _, before in before < failures ? 503 : 200 })
    }

    static func spec(
        _ fixture: ConvergenceFixture, image: ImageReference, healthPort: Int, startupInterval: Duration? = nil
    ) -> ServiceSpec {
        var spec = fixture.webService(image: image, replicas: 1, progressDeadline: .seconds(30))
        // The demo listens on `http`; the probe goes to the counting server through the fixed `health` port.
        spec.ports = ["http": 0, "health": healthPort]
        spec.health = HealthCheck(
            probe: .http(path: "/healthz", port: "health"), interval: .seconds(60), timeout: .seconds(2),
            healthyThreshold: 1, unhealthyThreshold: 3, startTimeout: .seconds(20), startupInterval: startupInterval)
        return spec
    }

    @Test("a starting instance is probed at the startup interval until it passes, then no more by the rollout")
    func startingInstanceIsProbedFastUntilItsFirstSuccess() async throws {
        let fixture = try ConvergenceFixture()
        let server = try await Self.countingServer(failures: 3)
        do {
            let spec = Self.spec(fixture, image: try await fixture.image("1.0.0"), healthPort: server.port)
            #expect(spec.health?.effectiveStartupInterval == .milliseconds(100))
            let report = try await fixture.converger().converge(
                Fleet(name: "test", services: [spec]), timeout: .seconds(60))
            // At a 60 s interval the second probe would come after the 20 s start timeout had failed the instance.
            #expect(report.map(\.phase) == [.converged], "\(report)")
            #expect(server.requests.count == 4, "three failures, one success, then the interval: \(server.requests)")
            let records = try await fixture.records()
            #expect(records.count == 1 && records.allSatisfy { $0.state == .serving }, "\(records)")
        } catch {
            await server.close()
            await fixture.tearDown()
            throw error
        }
        await server.close()
        await fixture.tearDown()
    }

    @Test("a startupInterval in the manifest sets the pace; a failing check never leaves the startup phase")
    func manifestStartupIntervalIsUsed() async throws {
        let fixture = try ConvergenceFixture()
        // Never passes: probed at the startup interval until the start timeout fails it.
        let server = try await Self.countingServer(failures: .max)
        do {
            var spec = Self.spec(
                fixture, image: try await fixture.image("1.0.0"), healthPort: server.port,
                startupInterval: .milliseconds(500))
            spec.health?.startTimeout = .seconds(3)
            spec.rollout.progressDeadline = .seconds(5)
            _ = try await fixture.converger().converge(Fleet(name: "test", services: [spec]), timeout: .seconds(4))
            // 3 s at 500 ms: about 7 probes; at the interval there would be one. Bounds generous for a loaded machine.
            let probes = server.requests.count
            #expect(probes >= 3 && probes <= 8, "\(probes) probes")
            let records = try await fixture.records()
            #expect(!records.contains { $0.state == .serving }, "\(records)")
        } catch {
            await server.close()
            await fixture.tearDown()
            throw error
        }
        await server.close()
        await fixture.tearDown()
    }
}
