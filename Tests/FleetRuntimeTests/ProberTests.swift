import FleetModel
import Foundation
import GitFleetTesting
import Testing

@testable import FleetRuntime

/// Probes against the real demo service and against ports nobody serves.
@Suite("Health probes")
struct ProberTests {
    static let specHash = SpecHash(rawValue: String(repeating: "ef", count: 32))

    /// Starts the demo with `env` and runs `body` once it listens; stops and destroys everything after.
    func withDemo(
        env: [String: String] = [:], ports: [String: Int] = ["http": 0],
        _ body: (ProcessRuntime, RuntimeInstance) async throws -> Void
    ) async throws {
        let fixture = try RuntimeFixtures.processRuntimeFixture()
        var failure: (any Error)? = nil
        do {
            let runtime = try #require(try fixture.makeRuntime() as? ProcessRuntime)
            let image = try await runtime.resolve(try await fixture.installDemoImage("1.0", [:]))
            let instance = try await runtime.start(
                InstanceLaunch(
                    instanceID: "probe-1", service: "web", specHash: Self.specHash, image: image, env: env,
                    ports: ports)
            )
            let conformance = RuntimeConformance(makeFixture: { fixture })
            _ = try await conformance.waitForHTTP(instance, path: "/")
            try await body(runtime, instance)
        } catch {
            failure = error
        }
        await RuntimeConformance.cleanUp(fixture)
        if let failure { throw failure }
    }

    @Test func httpProbePassesOn200AndFailsOn500() async throws {
        let failFile = try RuntimeFixtures.temporaryDirectory("gitfleet-probe") + "/fail"
        defer { try? FileManager.default.removeItem(atPath: (failFile as NSString).deletingLastPathComponent) }
        try await withDemo(env: ["DEMO_FAIL_HEALTH_FILE": failFile]) { runtime, instance in
            let prober = Prober(runtime: runtime)
            let probe = HealthCheck.Probe.http(path: "/healthz", port: "http")
            let healthy = await prober.probe(probe, instance: instance, timeout: .seconds(5))
            #expect(healthy.success, "\(healthy)")
            #expect(healthy.detail.contains("HTTP 200"))
            _ = FileManager.default.createFile(atPath: failFile, contents: Data())
            let failing = await prober.probe(probe, instance: instance, timeout: .seconds(5))
            #expect(!failing.success)
            #expect(failing.detail.contains("HTTP 500"), "\(failing)")
            let missingPort = await prober.probe(
                .http(path: "/", port: "admin"), instance: instance, timeout: .seconds(1))
            #expect(!missingPort.success && missingPort.detail.contains("no port named 'admin'"))
        }
    }

    @Test func httpProbeSendsMethodAndHeadersAndChecksTheExpectedStatus() async throws {
        try await withDemo(env: ["DEMO_REQUIRE_HEADER": "X-Probe: gitfleet", "DEMO_HEALTH_STATUS": "204"]) {
            runtime, instance in
            let prober = Prober(runtime: runtime)
            func probe(
                method: String? = nil, headers: [String: String]? = nil, status: [ClosedRange<Int>]? = nil
            ) async -> ProbeResult {
                await prober.probe(
                    .http(path: "/healthz", port: "http", method: method, headers: headers, status: status),
                    instance: instance, timeout: .seconds(5))
            }
            let withoutHeader = await probe()
            #expect(!withoutHeader.success && withoutHeader.detail.contains("GET /healthz"), "\(withoutHeader)")
            #expect(withoutHeader.detail.contains("HTTP 401"), "\(withoutHeader)")
            let header = ["x-probe": "gitfleet"]
            let byDefault = await probe(headers: header)
            #expect(byDefault.success && byDefault.detail.contains("HTTP 204"), "\(byDefault)")
            let wrongStatus = await probe(headers: header, status: [200...200, 300...399])
            #expect(!wrongStatus.success && wrongStatus.detail.contains("HTTP 204"), "\(wrongStatus)")
            let listed = await probe(headers: header, status: [200...200, 204...204])
            #expect(listed.success, "\(listed)")
            let wrongValue = await probe(headers: ["X-Probe": "other"], status: [204...204])
            #expect(!wrongValue.success, "\(wrongValue)")
            for method in ["HEAD", "POST"] {
                let result = await probe(method: method, headers: header, status: [204...204])
                #expect(result.success && result.detail.hasPrefix("\(method) /healthz"), "\(result)")
            }
        }
    }

    @Test func grpcProbeAsksTheStandardHealthService() async throws {
        let failFile = try RuntimeFixtures.temporaryDirectory("gitfleet-probe") + "/fail"
        defer { try? FileManager.default.removeItem(atPath: (failFile as NSString).deletingLastPathComponent) }
        try await withDemo(env: ["DEMO_FAIL_HEALTH_FILE": failFile], ports: ["http": 0, "grpc": 0]) {
            runtime, instance in
            let prober = Prober(runtime: runtime)
            func probe(_ port: String = "grpc", service: String? = nil) async -> ProbeResult {
                await prober.probe(.grpc(port: port, service: service), instance: instance, timeout: .seconds(5))
            }
            let server = await probe()
            #expect(server.success && server.detail.contains("SERVING"), "\(server)")
            let named = await probe(service: "web")
            #expect(named.success && named.detail.contains("of 'web'"), "\(named)")
            let unknown = await probe(service: "billing")
            #expect(!unknown.success && unknown.detail.contains("gRPC status 5"), "\(unknown)")
            // An HTTP/1.1 server is no gRPC server: a failure within the timeout, not a hang.
            let http = await prober.probe(.grpc(port: "http", service: nil), instance: instance, timeout: .seconds(3))
            #expect(!http.success, "\(http)")
            _ = FileManager.default.createFile(atPath: failFile, contents: Data())
            let notServing = await probe()
            #expect(!notServing.success && notServing.detail.contains("NOT_SERVING"), "\(notServing)")
        }
    }

    @Test func grpcProbeFailsOnUnimplemented() async throws {
        try await withDemo(env: ["DEMO_GRPC_UNIMPLEMENTED": "1"], ports: ["http": 0, "grpc": 0]) { runtime, instance in
            let result = await Prober(runtime: runtime).probe(
                .grpc(port: "grpc"), instance: instance, timeout: .seconds(5))
            #expect(!result.success && result.detail.contains("UNIMPLEMENTED"), "\(result)")
        }
    }

    @Test func grpcProbeFailsAgainstAClosedPort() async throws {
        let closed = await Prober(runtime: ProcessRuntime(stateDirectory: "/nonexistent")).probe(
            .grpc(port: "grpc"), instance: Self.instance(ports: ["grpc": try PortAllocator.freeLoopbackPort()]),
            timeout: .seconds(2))
        #expect(!closed.success && closed.detail.contains("gRPC health check on port"), "\(closed)")
    }

    @Test func httpProbeFailsAgainstAClosedPort() async throws {
        let port = try PortAllocator.freeLoopbackPort()
        let instance = Self.instance(ports: ["http": port])
        let result = await Prober(runtime: ProcessRuntime(stateDirectory: "/nonexistent"))
            .probe(.http(path: "/healthz", port: "http"), instance: instance, timeout: .seconds(5))
        #expect(!result.success)
        #expect(result.detail.contains("refused"), "\(result)")
    }

    @Test func httpProbeTimesOutWhenNothingAnswers() async throws {
        // A listener that accepts (via the backlog) but never answers: the probe must give up at its timeout.
        let listener = try SilentListener()
        defer { listener.close() }
        let instance = Self.instance(ports: ["http": listener.port])
        let clock = ContinuousClock()
        let begun = clock.now
        let result = await Prober(runtime: ProcessRuntime(stateDirectory: "/nonexistent"))
            .probe(.http(path: "/healthz", port: "http"), instance: instance, timeout: .milliseconds(500))
        #expect(!result.success)
        #expect(result.detail.contains("timed out"), "\(result)")
        #expect(clock.now - begun < .seconds(20), "bounded by the timeout, not hanging")
    }

    /// The demo's health endpoint and the probe are both ours; etcd (Go's grpc-go, registering the standard health
    /// service on its plaintext client port) is a real gRPC server written by others, so the call is proven against
    /// an implementation that is not ours too.
    @Test func grpcProbeAsksARealGRPCServer() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let url = try #require(URL(string: etcd.clientURL))
        let prober = Prober(runtime: ProcessRuntime(stateDirectory: "/nonexistent"))
        let instance = Self.instance(ports: ["grpc": try #require(url.port)])
        let serving = await prober.probe(.grpc(port: "grpc"), instance: instance, timeout: .seconds(5))
        #expect(serving.success, "\(serving)")
        let unknown = await prober.probe(
            .grpc(port: "grpc", service: "no.such.Service"), instance: instance, timeout: .seconds(5))
        #expect(!unknown.success && unknown.detail.contains("gRPC status 5"), "\(unknown)")
    }

    @Test func grpcProbeTimesOutWhenNothingAnswers() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let begun = ContinuousClock.now
        let result = await Prober(runtime: ProcessRuntime(stateDirectory: "/nonexistent"))
            .probe(
                .grpc(port: "grpc"), instance: Self.instance(ports: ["grpc": listener.port]),
                timeout: .milliseconds(500))
        #expect(!result.success && result.detail.contains("timed out"), "\(result)")
        #expect(ContinuousClock.now - begun < .seconds(20), "bounded by the timeout, not hanging")
    }

    /// The demo listening on IPv6 loopback only, started directly; an IPv4 probe could not reach it.
    @Test func httpTCPAndGRPCProbesReachAnIPv6Address() async throws {
        let port = try PortAllocator.freeLoopbackPort()
        let grpcPort = try PortAllocator.freeLoopbackPort()
        // A spawned process, not Foundation's: the test runner blocks SIGTERM, and a `Process` child inherits
        // that mask, ignores `terminate()` and hangs `waitUntilExit()`.
        let directory = try RuntimeFixtures.temporaryDirectory("gitfleet-ipv6")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let demo = try SpawnedProcess(
            executable: try RuntimeFixtures.demoBinary(), arguments: [],
            environment: ["PORT": "\(port)", "PORT_GRPC": "\(grpcPort)", "DEMO_LISTEN_IPV6": "1"],
            logPath: "\(directory)/demo.log")
        defer { demo.stop() }
        let prober = Prober(runtime: ProcessRuntime(stateDirectory: "/nonexistent"))
        for address in ["::1", "[::1]"] {
            var instance = Self.instance(ports: ["http": port, "grpc": grpcPort])
            instance.address = address
            var healthy = await prober.probe(
                .http(path: "/healthz", port: "http"), instance: instance, timeout: .seconds(5))
            // The demo needs a moment to listen on a loaded machine: poll, generously bounded.
            let deadline = ContinuousClock.now + .seconds(60)
            while !healthy.success, demo.exitCode == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                healthy = await prober.probe(
                    .http(path: "/healthz", port: "http"), instance: instance, timeout: .seconds(5))
            }
            #expect(healthy.success, "\(address): \(healthy)")
            #expect(healthy.detail.contains("HTTP 200"), "\(healthy)")
            let tcp = await prober.probe(.tcp(port: "http"), instance: instance, timeout: .seconds(5))
            #expect(tcp.success, "\(address): \(tcp)")
            let grpc = await prober.probe(.grpc(port: "grpc"), instance: instance, timeout: .seconds(5))
            #expect(grpc.success, "\(address): \(grpc)")
        }
        var ipv4 = Self.instance(ports: ["http": port])
        ipv4.address = "127.0.0.1"
        let unreachable = await prober.probe(
            .http(path: "/healthz", port: "http"), instance: ipv4, timeout: .seconds(5))
        #expect(!unreachable.success, "the demo listens on ::1 only")
    }

    @Test("each runtime owns its probe client, probes go through it, and close() shuts it down")
    func probeClientIsOwnedAndClosed() async throws {
        let one = ProcessRuntime(stateDirectory: "/nonexistent")
        let other = ProcessRuntime(stateDirectory: "/nonexistent")
        #expect(one.probeClient !== other.probeClient, "one client per runtime, not per process")
        #expect(Prober(runtime: one).client === one.probeClient)
        await one.close()
        await other.close()

        try await withDemo { runtime, instance in
            let prober = Prober(runtime: runtime)
            let probe = HealthCheck.Probe.http(path: "/healthz", port: "http")
            let before = await prober.probe(probe, instance: instance, timeout: .seconds(5))
            #expect(before.success, "\(before)")
            await runtime.close()
            let after = await prober.probe(probe, instance: instance, timeout: .seconds(5))
            #expect(!after.success, "a closed runtime's client holds no connection and makes none: \(after)")
        }
    }

    @Test("http probes of one instance reuse one kept-alive connection, counted by the demo that accepts them")
    func httpProbesReuseTheirConnection() async throws {
        try await withDemo { runtime, instance in
            let port = try #require(instance.ports["http"])
            func accepted() async throws -> Int {
                let answer = try await LoopbackHTTP.get(port: port, path: "/connections", timeout: .seconds(10))
                return try #require(Int(answer.body.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            let prober = Prober(runtime: runtime)
            let before = try await accepted()
            for _ in 0..<5 {
                let result = await prober.probe(
                    .http(path: "/healthz", port: "http"), instance: instance, timeout: .seconds(5))
                #expect(result.success, "\(result)")
            }
            // One connection for the five probes, one for this question.
            #expect(try await accepted() - before == 2)
        }
    }

    @Test func tcpProbe() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let prober = Prober(runtime: ProcessRuntime(stateDirectory: "/nonexistent"))
        let open = await prober.probe(
            .tcp(port: "p"), instance: Self.instance(ports: ["p": listener.port]), timeout: .seconds(5))
        #expect(open.success, "\(open)")
        let closedPort = try PortAllocator.freeLoopbackPort()
        let closed = await prober.probe(
            .tcp(port: "p"), instance: Self.instance(ports: ["p": closedPort]), timeout: .seconds(5))
        #expect(!closed.success)
    }

    @Test func execProbeUsesTheInstanceEnvironment() async throws {
        try await withDemo { runtime, instance in
            let prober = Prober(runtime: runtime)
            let passing = await prober.probe(
                .exec(command: [
                    "/bin/sh", "-c", "test \"$GITFLEET_INSTANCE_ID\" = probe-1 && test -x bin/gitfleet-demo",
                ]),
                instance: instance,
                timeout: .seconds(10)
            )
            #expect(passing.success, "\(passing)")
            let failing = await prober.probe(
                .exec(command: ["/bin/sh", "-c", "echo broken-$(PORT); exit 4"]),
                instance: instance,
                timeout: .seconds(10)
            )
            #expect(!failing.success)
            #expect(failing.detail.contains("exit code 4"), "\(failing)")
            #expect(failing.detail.contains("broken-\(instance.ports["http"]!)"), "output tail and $(PORT) expansion")
            let slow = await prober.probe(
                .exec(command: ["/bin/sh", "-c", "sleep 30"]),
                instance: instance,
                timeout: .milliseconds(300)
            )
            #expect(!slow.success && slow.detail.contains("timed out"), "\(slow)")
        }
    }

    static func instance(ports: [String: Int]) -> RuntimeInstance {
        RuntimeInstance(
            instanceID: "none",
            service: "web",
            specHash: specHash,
            image: ImageReference(repository: "demo/web", tag: "1.0"),
            handle: "",
            address: "127.0.0.1",
            ports: ports,
            status: .running,
            startedAt: Date()
        )
    }
}

/// A loopback listener that never accepts or answers: connections complete through the backlog and then hang.
final class SilentListener: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else { throw FixtureError("cannot listen on loopback") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        _ = Glibc.close(fd)
    }
}
