import FleetModel
import Foundation
import GitFleetTesting
import Testing

@testable import FleetRuntime

/// What only the process runtime promises, beyond the shared conformance suite.
@Suite("ProcessRuntime")
struct ProcessRuntimeTests {
    static let specHash = SpecHash(rawValue: String(repeating: "cd", count: 32))

    /// A ProcessRuntime over a fresh state directory with the demo image `demo/web:1.0` installed, cleaned up
    /// (every instance stopped and destroyed) after `body`.
    func withRuntime(_ body: (ProcessRuntime, ImageReference) async throws -> Void) async throws {
        let fixture = try RuntimeFixtures.processRuntimeFixture()
        var failure: (any Error)? = nil
        do {
            let runtime = try #require(try fixture.makeRuntime() as? ProcessRuntime)
            let image = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
            try await body(runtime, image)
        } catch {
            failure = error
        }
        await RuntimeConformance.cleanUp(fixture)
        if let failure { throw failure }
    }

    @Test func environmentCarriesPortsIdentityAndExpandsArguments() async throws {
        try await withRuntime { runtime, image in
            let launch = InstanceLaunch(
                instanceID: "env-1",
                service: "web",
                specHash: Self.specHash,
                image: image,
                command: ["/bin/sh", "-c", "env > env.txt; echo '$$(PORT)' $(PORT_ADMIN_API) '$(MISSING)' > argv.txt"],
                env: ["VERSION": "from-spec"],
                ports: ["http": 0, "admin-api": 0]
            )
            let started = try await runtime.start(launch)
            #expect(try await Self.waitForExit(runtime, "env-1") == .exited(.exited(code: 0)))
            let root = "\(runtime.stateDirectory)/instances/env-1/root"
            let env = try String(contentsOfFile: "\(root)/env.txt", encoding: .utf8)
            let http = try #require(started.ports["http"])
            let admin = try #require(started.ports["admin-api"])
            #expect(http != admin)
            #expect(env.contains("PORT=\(http)\n"))
            #expect(env.contains("PORT_HTTP=\(http)\n") && env.contains("PORT_ADMIN_API=\(admin)\n"))
            #expect(env.contains("GITFLEET_INSTANCE_ID=env-1\n") && env.contains("GITFLEET_SERVICE=web\n"))
            #expect(env.contains("GITFLEET_SPEC_HASH=\(Self.specHash.rawValue)\n"))
            #expect(env.contains("VERSION=from-spec\n"), "the spec's env wins over the image's")
            let argv = try String(contentsOfFile: "\(root)/argv.txt", encoding: .utf8)
            #expect(argv == "$(PORT) \(admin) $(MISSING)\n")
        }
    }

    @Test func secretsReachTheProcessButNobodyElse() async throws {
        try await withRuntime { runtime, image in
            let launch = InstanceLaunch(
                instanceID: "secret-1", service: "web", specHash: Self.specHash, image: image,
                command: [
                    "/bin/sh", "-c",
                    "printf '%s' \"$DB_PASSWORD\" > seen.txt; cat $(GITFLEET_ROOT)/run/secrets/key > key.txt",
                ],
                secretEnv: ["DB_PASSWORD": SecretValue(Array("s3cret".utf8))],
                secretFiles: ["/run/secrets/key": SecretValue(Array("key\nmaterial".utf8))])
            // A launch that reaches a log line or an error by mistake shows no value.
            #expect(!"\(launch)".contains("s3cret") && !String(reflecting: launch).contains("material"))
            _ = try await runtime.start(launch)
            #expect(try await Self.waitForExit(runtime, "secret-1") == .exited(.exited(code: 0)))
            let directory = "\(runtime.stateDirectory)/instances/secret-1"
            #expect(try String(contentsOfFile: "\(directory)/root/seen.txt", encoding: .utf8) == "s3cret")
            #expect(try String(contentsOfFile: "\(directory)/root/key.txt", encoding: .utf8) == "key\nmaterial")
            let file = try FileManager.default.attributesOfItem(atPath: "\(directory)/root/run/secrets/key")
            #expect((file[.posixPermissions] as? Int) == 0o600)
            // The record holds the environment: the instance's folder is the controller's user's alone.
            let folder = try FileManager.default.attributesOfItem(atPath: directory)
            #expect((folder[.posixPermissions] as? Int) == 0o700)
        }
    }

    @Test func instanceRunsFromAVerifiedCopyOfItsImage() async throws {
        try await withRuntime { runtime, image in
            let started = try await runtime.start(
                InstanceLaunch(
                    instanceID: "copy-1", service: "web", specHash: Self.specHash, image: image, ports: ["http": 0])
            )
            let digest = try #require(image.digest)
            let root = "\(runtime.stateDirectory)/instances/copy-1/root"
            #expect(try ImageStore.digest(ofDirectory: root) == digest)
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(started.handle)/exe")
            #expect(executable == "\(root)/bin/gitfleet-demo")
        }
    }

    @Test func instanceSurvivesInItsOwnSession() async throws {
        try await withRuntime { runtime, image in
            let started = try await runtime.start(
                InstanceLaunch(
                    instanceID: "sess-1", service: "web", specHash: Self.specHash, image: image, ports: ["http": 0])
            )
            let pid = try #require(Int32(started.handle))
            #expect(getsid(pid) == pid, "the instance leads its own session, apart from the controller's")
            #expect(getsid(pid) != getsid(0))
        }
    }

    @Test func recycledPidIsNotTakenForTheInstance() async throws {
        try await withRuntime { runtime, image in
            _ = try await runtime.start(
                InstanceLaunch(
                    instanceID: "pid-1", service: "web", specHash: Self.specHash, image: image, ports: ["http": 0])
            )
            _ = try await runtime.stop(instanceID: "pid-1", gracePeriod: .seconds(30))
            // Rewrite the record as if the pid now belonged to another live process: this test process.
            let path = "\(runtime.stateDirectory)/instances/pid-1/instance.json"
            var record = try ProcessInstanceFile.read(from: path)
            record.pid = getpid()
            try record.write(to: path)
            try FileManager.default.removeItem(atPath: "\(runtime.stateDirectory)/instances/pid-1/exit.json")
            let listed = try #require(try await runtime.inventory().first { $0.instanceID == "pid-1" })
            #expect(listed.status == .exited(nil), "a live pid with another start time is not the instance")
            #expect(try await runtime.stop(instanceID: "pid-1", gracePeriod: .zero) == nil, "and is never signalled")
        }
    }

    /// After a controller restart the instance is no longer a child of the controller; it must still be seen
    /// running (via /proc, not waitpid) and be stoppable. A grandchild (reparented when its shell exits)
    /// stands in for such a process.
    @Test func adoptsAndStopsAProcessThatIsNotItsChild() async throws {
        try await withRuntime { runtime, image in
            _ = try await runtime.start(
                InstanceLaunch(
                    instanceID: "orphan-1",
                    service: "web",
                    specHash: Self.specHash,
                    image: image,
                    command: ["/bin/sh", "-c", "sleep 120 & echo $! > orphan.pid"]
                )
            )
            #expect(try await Self.waitForExit(runtime, "orphan-1") == .exited(.exited(code: 0)))
            let directory = "\(runtime.stateDirectory)/instances/orphan-1"
            let text = try String(contentsOfFile: "\(directory)/root/orphan.pid", encoding: .utf8)
            let orphan = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            var record = try ProcessInstanceFile.read(from: "\(directory)/instance.json")
            record.pid = orphan
            record.processStartTicks = ProcessIdentity.snapshot(of: orphan)?.startTicks
            try record.write(to: "\(directory)/instance.json")
            try FileManager.default.removeItem(atPath: "\(directory)/exit.json")

            let restarted = ProcessRuntime(stateDirectory: runtime.stateDirectory)
            let adopted = try #require(try await restarted.inventory().first { $0.instanceID == "orphan-1" })
            #expect(adopted.status == .running && adopted.handle == String(orphan))
            let status = try await restarted.stop(instanceID: "orphan-1", gracePeriod: .seconds(30))
            #expect(status == nil, "the exit status of a process that is not our child cannot be known")
            #expect(try await restarted.inventory().first?.status == .exited(nil))
            // Its new parent (init) reaps it in its own time; until then it is a zombie, which is not running.
            let left = ProcessIdentity.snapshot(of: orphan)
            #expect(left == nil || left?.startTicks != record.processStartTicks || left?.state == "Z", "it is gone")
        }
    }

    @Test func exitedChildIsReapedAndItsStatusKept() async throws {
        try await withRuntime { runtime, image in
            let started = try await runtime.start(
                InstanceLaunch(
                    instanceID: "exit-3",
                    service: "web",
                    specHash: Self.specHash,
                    image: image,
                    command: ["/bin/sh", "-c", "exit 3"]
                )
            )
            let pid = try #require(Int32(started.handle))
            #expect(try await Self.waitForExit(runtime, "exit-3") == .exited(.exited(code: 3)))
            #expect(ProcessIdentity.snapshot(of: pid) == nil, "no zombie is left behind")
            let restarted = ProcessRuntime(stateDirectory: runtime.stateDirectory)
            #expect(try await restarted.inventory().first?.status == .exited(.exited(code: 3)))
        }
    }

    @Test func unpinnedImageAndBadIdAreRejected() async throws {
        try await withRuntime { runtime, image in
            let unpinned = ImageReference(repository: image.repository, tag: image.tag)
            let error = await #expect(throws: RuntimeError.self) {
                try await runtime.start(
                    InstanceLaunch(instanceID: "x", service: "web", specHash: Self.specHash, image: unpinned)
                )
            }
            #expect(error?.code == .invalidLaunch)
            let badID = await #expect(throws: RuntimeError.self) {
                try await runtime.start(
                    InstanceLaunch(instanceID: "../escape", service: "web", specHash: Self.specHash, image: image)
                )
            }
            #expect(badID?.code == .invalidLaunch)
        }
    }

    @Test func digestOnlyReferenceFindsItsTag() async throws {
        try await withRuntime { runtime, image in
            let digestOnly = ImageReference(repository: image.repository, digest: image.digest)
            let resolved = try await runtime.resolve(digestOnly)
            #expect(resolved.digest == image.digest)
            let unknown = ImageReference(
                repository: image.repository, digest: "sha256:" + String(repeating: "0", count: 64))
            let error = await #expect(throws: RuntimeError.self) { try await runtime.resolve(unknown) }
            #expect(error?.code == .imageNotFound)
        }
    }

    @Test func destroyKeepingLogsKeepsThemReadable() async throws {
        try await withRuntime { runtime, image in
            _ = try await runtime.start(
                InstanceLaunch(
                    instanceID: "keep-1", service: "web", specHash: Self.specHash, image: image, ports: ["http": 0])
            )
            let clock = ContinuousClock()
            let end = clock.now + .seconds(30)
            while clock.now < end, try await !runtime.logs(instanceID: "keep-1", tail: 10).contains("listening") {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await runtime.destroy(instanceID: "keep-1", keepLogs: true)
            #expect(try await runtime.inventory().isEmpty)
            #expect(try await runtime.logs(instanceID: "keep-1", tail: 10).contains("listening on 127.0.0.1"))
            try await runtime.destroy(instanceID: "keep-1", keepLogs: false)
            await #expect(throws: RuntimeError.self) { try await runtime.logs(instanceID: "keep-1", tail: 10) }
        }
    }

    /// Polls the inventory until the instance is no longer running (at most 30s) and returns its status.
    static func waitForExit(_ runtime: ProcessRuntime, _ id: String) async throws -> RuntimeInstance.Status {
        let clock = ContinuousClock()
        let end = clock.now + .seconds(30)
        var status: RuntimeInstance.Status = .running
        while clock.now < end {
            status = try #require(try await runtime.inventory().first { $0.instanceID == id }).status
            if status != .running { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return status
    }

    @Test(arguments: [
        ("$(A)", "1"),
        ("x$(A)y$(B)z", "x1y2z"),
        ("$$(A)", "$(A)"),
        ("$(NOPE)", "$(NOPE)"),
        ("$A $(", "$A $("),
        ("--port=$(PORT_HTTP)", "--port=8080"),
    ])
    func argumentExpansion(_ input: String, _ expected: String) {
        let environment = ["A": "1", "B": "2", "PORT_HTTP": "8080"]
        #expect(ArgumentExpansion.expand(input, environment: environment) == expected)
    }
}

@Suite("ProcessRuntime: a start interrupted between spawn and record")
struct InterruptedStartTests {
    @Test("A process whose record lost its pid is found by its instance id and adopted, never started twice")
    func adoptsTheProcess() async throws {
        let state = try RuntimeFixtures.temporaryDirectory("gitfleet-interrupted")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let runtime = ProcessRuntime(stateDirectory: state)
        let image = try await runtime.resolve(
            try DemoImage.install(into: runtime.images, tag: "1.0.0", binary: try RuntimeFixtures.demoBinary()))
        let launch = InstanceLaunch(
            instanceID: "web-interrupted", service: "web",
            specHash: SpecHash(rawValue: String(repeating: "a", count: 64)),
            image: image, ports: ["http": 0])
        let started = try await runtime.start(launch)
        defer {
            Task {
                _ = try? await runtime.stop(instanceID: launch.instanceID, gracePeriod: .seconds(2))
                try? await runtime.destroy(instanceID: launch.instanceID, keepLogs: false)
            }
        }
        // Make the record look as if the controller died right after the spawn.
        let path = "\(state)/instances/\(launch.instanceID)/instance.json"
        var json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        json.removeValue(forKey: "pid")
        json.removeValue(forKey: "processStartTicks")
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))

        let again = try await runtime.start(launch)
        #expect(again.handle == started.handle, "a second process was started")
        #expect(again.status.isRunning)
        let running = try await runtime.inventory().filter { $0.status.isRunning }
        #expect(running.count == 1)
        _ = try await runtime.stop(instanceID: launch.instanceID, gracePeriod: .seconds(2))
        try await runtime.destroy(instanceID: launch.instanceID, keepLogs: false)
    }
}
