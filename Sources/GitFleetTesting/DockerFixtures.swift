import FleetModel
import FleetRuntime
import Foundation

/// Test set-up for the Docker runtime: a private Podman engine with the demo image, as a
/// ``RuntimeConformance`` fixture.
public enum DockerFixtures {
    /// A conformance fixture over a new ``PodmanEngine`` (stopped and removed by its tear-down) holding the
    /// demo image `localhost/demo/web:<tag>`; runtimes use host networking, as the demo listens on 127.0.0.1.
    public static func dockerRuntimeFixture() async throws -> RuntimeConformanceFixture {
        let engine = try await PodmanEngine()
        let images: ContainerImages
        do {
            images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
        } catch {
            engine.stop()
            throw error
        }
        let evidence = engine.directory.appending("evidence")
        return RuntimeConformanceFixture(
            makeRuntime: {
                try DockerRuntime(
                    endpoints: [engine.endpoint], options: .init(scope: "conformance", evidenceDirectory: evidence))
            },
            makeRuntimeInScope: { scope in
                try DockerRuntime(
                    endpoints: [engine.endpoint], options: .init(scope: scope, evidenceDirectory: evidence))
            },
            installDemoImage: { tag, files in try await images.installDemo(tag: tag, files: files) },
            tearDown: { engine.stop() })
    }
}
