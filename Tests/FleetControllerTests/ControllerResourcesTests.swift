import FleetController
import FleetModel
import Foundation
import GitFleetTesting
import Logging
import Testing

@testable import FleetRuntime

@Suite("What a command opens is closed when it ends")
struct ControllerResourcesTests {
    @Test(
        "the runtime's probe client is shut down when the resources close, so a stopped controller keeps no probe connections"
    )
    func probeClientIsShutDownAtTheEnd() async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-resources")
        defer { directory.remove() }
        let port = try PortAllocator.freeLoopbackPort()
        let demo = try SpawnedProcess(
            executable: try RuntimeFixtures.demoBinary(), arguments: [], environment: ["PORT": "\(port)"],
            logPath: directory.appending("demo.log"))
        defer { demo.stop() }
        var configuration = ControllerConfiguration(repository: directory.path)
        configuration.stateDirectory = directory.appending("state")
        let instance = RuntimeInstance(
            instanceID: "none", service: "web", specHash: SpecHash(rawValue: String(repeating: "0", count: 64)),
            image: ImageReference(repository: "demo/web", tag: "1.0"), handle: "", address: "127.0.0.1",
            ports: ["http": port], status: .running, startedAt: Date())
        let probe = HealthCheck.Probe.http(path: "/healthz", port: "http")

        let runtime = try await ControllerBootstrap.withResources(
            configuration, logger: Logger(label: "test")
        ) { resources in
            let prober = Prober(runtime: resources.runtime)
            // The demo needs a moment to listen on a loaded machine: poll, generously bounded.
            var healthy = await prober.probe(probe, instance: instance, timeout: .seconds(5))
            let deadline = ContinuousClock.now + .seconds(60)
            while !healthy.success, demo.exitCode == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                healthy = await prober.probe(probe, instance: instance, timeout: .seconds(5))
            }
            #expect(healthy.success, "\(healthy)")
            return resources.runtime
        }
        let after = await Prober(runtime: runtime).probe(probe, instance: instance, timeout: .seconds(5))
        #expect(!after.success, "the client was shut down with the resources: \(after)")
        #expect(demo.exitCode == nil, "the server still answers; only the client is gone")
    }
}
