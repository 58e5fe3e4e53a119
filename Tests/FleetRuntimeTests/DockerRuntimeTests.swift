import FleetModel
import Foundation
import GitFleetTesting
import Testing

@testable import FleetRuntime

/// What the Docker runtime adds to the shared contract: settings baked in at creation, and several hosts.
@Suite("DockerRuntime against Podman", .serialized)
struct DockerRuntimeTests {
    static let specHash = SpecHash(rawValue: String(repeating: "cd", count: 32))

    func launch(_ id: String, image: ImageReference, resources: Resources = Resources()) -> InstanceLaunch {
        InstanceLaunch(
            instanceID: id, service: "web", specHash: Self.specHash, image: image,
            command: ["/bin/gitfleet-demo", "--port", "$(PORT)"], env: ["EXTRA": "yes"], ports: ["http": 0],
            resources: resources)
    }

    @Test("Resources, command, env and labels are set at creation, and the container runs the pinned digest")
    func creationSettings() async throws {
        let engine = try await PodmanEngine()
        defer { engine.stop() }
        let images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
        let runtime = try DockerRuntime(
            endpoints: [engine.endpoint],
            options: .init(scope: "settings", evidenceDirectory: engine.directory.appending("evidence")))
        let pinned = try await runtime.resolve(try await images.installDemo(tag: "1.0"))
        let resources = Resources(cpu: 0.5, memory: 64 << 20, user: "65534", readOnlyRootFilesystem: true)
        let started = try await runtime.start(launch("web-limited", image: pinned, resources: resources))
        let answer = try await RuntimeConformance(makeFixture: DockerFixtures.dockerRuntimeFixture)
            .waitForHTTP(started, path: "/")
        #expect(answer.body.contains("\"instance\": \"web-limited\""), "\(answer.body)")

        let inspected = try await engine.podman(["container", "inspect", "settings.web-limited"])
        #expect(inspected.status == 0, "\(inspected)")
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(inspected.standardOutput.utf8)) as? [[String: Any]]
        ).first
        let host = try #require(document?["HostConfig"] as? [String: Any])
        let config = try #require(document?["Config"] as? [String: Any])
        #expect((host["Memory"] as? Int) == 64 << 20, "\(host["Memory"] ?? "none")")
        #expect((host["NanoCpus"] as? Int) == 500_000_000, "\(host["NanoCpus"] ?? "none")")
        #expect((host["ReadonlyRootfs"] as? Bool) == true)
        #expect((host["RestartPolicy"] as? [String: Any])?["Name"] as? String != "always")
        #expect((config["User"] as? String) == "65534")
        #expect((document?["Image"] as? String).map { pinned.digest!.hasSuffix($0) } == true, "runs the digest")
        let env = (config["Env"] as? [String]) ?? []
        #expect(env.contains("EXTRA=yes") && env.contains("GITFLEET_INSTANCE_ID=web-limited"), "\(env)")
        let labels = (config["Labels"] as? [String: String]) ?? [:]
        #expect(labels["gitfleet.spec-hash"] == Self.specHash.rawValue && labels["gitfleet.service"] == "web")
        let port = try #require(started.ports["http"])
        let argv = [document?["Path"] as? String ?? ""] + (document?["Args"] as? [String] ?? [])
        #expect(argv.suffix(2) == ["--port", String(port)], "the command is expanded and set at creation: \(argv)")
        #expect(answer.status == 200 && port > 0)
        _ = try await runtime.stop(instanceID: "web-limited", gracePeriod: .seconds(5))
        try await runtime.destroy(instanceID: "web-limited", keepLogs: false)
    }

    @Test("Secret env is set at creation; secret files are put into the container, 0600 and owned by its user")
    func secrets() async throws {
        let engine = try await PodmanEngine()
        defer { engine.stop() }
        let images = try ContainerImages(engine: engine, demoBinary: try RuntimeFixtures.demoBinary())
        let runtime = try DockerRuntime(
            endpoints: [engine.endpoint],
            options: .init(scope: "secrets", evidenceDirectory: engine.directory.appending("evidence")))
        let pinned = try await runtime.resolve(try await images.installDemo(tag: "1.0"))
        var secretLaunch = launch("web-secret", image: pinned, resources: Resources(user: "65534"))
        secretLaunch.secretEnv = ["DB_PASSWORD": SecretValue(Array("s3cret".utf8))]
        secretLaunch.secretFiles = ["/run/secrets/api-key": SecretValue(Array("key material".utf8))]
        let started = try await runtime.start(secretLaunch)
        _ = try await RuntimeConformance(makeFixture: DockerFixtures.dockerRuntimeFixture)
            .waitForHTTP(started, path: "/")

        let env = try await runtime.exec(
            instanceID: "web-secret", command: ["/bin/sh", "-c", "printf '%s' \"$DB_PASSWORD\""], timeout: .seconds(20))
        #expect(env.status == .exited(code: 0) && env.output == "s3cret", "\(env)")
        let file = try await runtime.exec(
            instanceID: "web-secret", command: ["/bin/cat", "/run/secrets/api-key"], timeout: .seconds(20))
        #expect(file.status == .exited(code: 0) && file.output == "key material", "\(file)")
        let mode = try await runtime.exec(
            instanceID: "web-secret", command: ["/bin/busybox", "stat", "-c", "%a %u", "/run/secrets/api-key"],
            timeout: .seconds(20))
        #expect(mode.output.trimmingCharacters(in: .whitespacesAndNewlines) == "600 65534", "\(mode)")
        _ = try await runtime.stop(instanceID: "web-secret", gracePeriod: .seconds(5))
        try await runtime.destroy(instanceID: "web-secret", keepLogs: false)
    }

    @Test("Instances spread over two hosts; a host that stops answering is reported, then its instances are lost")
    func hostThatStopsAnswering() async throws {
        let first = try await PodmanEngine()
        defer { first.stop() }
        let second = try await PodmanEngine()
        defer { second.stop() }
        let images = try ContainerImages(engine: first, demoBinary: try RuntimeFixtures.demoBinary())
        let reference = try await images.installDemo(tag: "1.0")
        try await images.copy(reference, to: second)
        let runtime = try DockerRuntime(
            endpoints: [first.endpoint, second.endpoint],
            options: .init(
                scope: "hosts", lostAfter: .seconds(2), evidenceDirectory: first.directory.appending("evidence"),
                // The stopped host here hangs a listing rather than refusing it, as a hung engine does; a short
                // listing timeout keeps each inventory from waiting out the default 10 s.
                listTimeout: .seconds(3)))
        let pinned = try await runtime.resolve(reference)

        for index in 0..<4 {
            let instance = try await runtime.start(launch("web-\(index)", image: pinned))
            _ = try await RuntimeConformance(makeFixture: DockerFixtures.dockerRuntimeFixture)
                .waitForHTTP(instance, path: "/healthz")
        }
        let onFirst = try await first.podman(["ps", "--format", "{{.Names}}"]).standardOutput
        let onSecond = try await second.podman(["ps", "--format", "{{.Names}}"]).standardOutput
        let firstCount = onFirst.split(separator: "\n").count
        let secondCount = onSecond.split(separator: "\n").count
        #expect(firstCount == 2 && secondCount == 2, "not spread: \(onFirst) | \(onSecond)")

        second.stopService()
        let reported = await #expect(throws: RuntimeError.self) { try await runtime.inventory() }
        #expect(reported?.code == .hostUnavailable, "\(String(describing: reported))")
        #expect(
            reported?.message.contains(second.socketPath) == true,
            "the error names the host: \(String(describing: reported))")
        let status = runtime.hostStatuses()
        #expect(status[0].unreachableSince == nil && status[1].unreachableSince != nil, "\(status)")

        // Once silent for lostAfter, the host's instances are left out: the controller replaces them elsewhere.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        var inventory: [RuntimeInstance]? = nil
        while clock.now < deadline {
            if let seen = try? await runtime.inventory() {
                inventory = seen
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let seen = try #require(inventory, "the silent host was never counted lost")
        #expect(seen.count == firstCount, "\(seen.map(\.instanceID))")
        #expect(runtime.hostStatuses()[1].instancesLost)
        let replacement = try await runtime.start(launch("web-replacement", image: pinned))
        #expect(replacement.handle.hasPrefix(first.endpoint.description), "\(replacement.handle)")

        // The host comes back: its old containers are visible again (as drift for the controller to remove).
        try await second.start()
        let back = try await runtime.inventory()
        #expect(back.count == 5, "\(back.map(\.instanceID))")
        #expect(runtime.hostStatuses()[1].unreachableSince == nil)
        for instance in back {
            _ = try await runtime.stop(instanceID: instance.instanceID, gracePeriod: .seconds(5))
            try await runtime.destroy(instanceID: instance.instanceID, keepLogs: false)
        }
        #expect(try await runtime.inventory().isEmpty)
    }
}
