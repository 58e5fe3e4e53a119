import Foundation
import GitFleetTesting

/// A fleet repository made with the git CLI in a temporary directory, removed on `remove()`.
struct FleetRepository {
    let directory: TemporaryDirectory
    let git: GitFixture

    init() throws {
        directory = try TemporaryDirectory(prefix: "gitfleet-cli")
        git = try GitFixture.create(at: directory.appending("fleet"))
    }

    var path: String { git.path }

    /// A service manifest for the demo image, small enough to read in a test.
    static func service(
        _ name: String, image: String, replicas: Int = 3, progressDeadline: String = "30s",
        startTimeout: String = "10s", minReady: String = "0s", maxSurge: Int = 1
    ) -> String {
        """
        apiVersion: gitfleet/v1
        kind: Service
        metadata:
          name: \(name)
        spec:
          image: \(image)
          replicas: \(replicas)
          ports: {http: 0}
          health:
            http: {path: /healthz, port: http}
            interval: 200ms
            timeout: 1s
            healthyThreshold: 1
            unhealthyThreshold: 2
            startTimeout: \(startTimeout)
          rollout: {maxSurge: \(maxSurge), maxUnavailable: 0, progressDeadline: \(progressDeadline), minReady: \(minReady)}
          drain: {delay: 200ms, gracePeriod: 5s}
        """
    }

    /// Copies the project's examples/ folder into the repository root and commits it.
    func commitExamples() throws -> String {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples").path
        let files = try FileManager.default.subpathsOfDirectory(atPath: examples)
        for file in files where file.hasSuffix(".yaml") {
            try git.write(file, try String(contentsOfFile: "\(examples)/\(file)", encoding: .utf8))
        }
        return try git.commit("the example fleet")
    }

    func remove() { directory.remove() }
}
