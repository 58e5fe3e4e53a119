import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// Every discovery output must be a configuration its consumer accepts: checked with a real nginx (`nginx -t`
/// before each reload) while services appear, serve and are removed.
@Suite("Discovery outputs are always valid configurations", .serialized)
struct DiscoveryValidityTests {
    static func served(_ service: String, port: Int) -> InstanceRecord {
        InstanceRecord(
            id: "\(service)-aaaa-1", service: service, specHash: SpecHash(rawValue: "aaaa"), image: "demo/web:1",
            state: .serving, address: "127.0.0.1", ports: ["http": port], createdAt: Date())
    }

    @Test("a desired service with no instance yet has a placeholder block marked down")
    func desiredWithoutInstances() {
        let set = ServingSet(records: [], services: ["web", "db-migrate"])
        #expect(set.names == ["db-migrate", "web"])
        let nginx = DiscoveryTemplate.nginx.render(set, port: "http")
        #expect(nginx.contains("upstream gitfleet_web {\n    server 127.0.0.1:9 down; # no serving instance\n}"))
        #expect(nginx.contains("upstream gitfleet_db_migrate {\n"))
        let haproxy = DiscoveryTemplate.haproxy.render(set, port: "http")
        #expect(haproxy.contains("backend gitfleet_web\n    server none 127.0.0.1:9 disabled\n"))
    }

    @Test(
        "a publisher keeps the block of a service that left the set, and one started afresh keeps the blocks of the file it finds"
    )
    func removedServiceKeepsItsBlock() async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-discovery")
        defer { directory.remove() }
        let nginxPath = directory.appending("upstreams.conf")
        let haproxyPath = directory.appending("haproxy.cfg")
        let outputs = [
            DiscoveryOutput(kind: .nginx, path: nginxPath), DiscoveryOutput(kind: .haproxy, path: haproxyPath),
        ]
        let first = DiscoveryPublisher(configuration: .init(outputs: outputs))
        #expect(
            await first.publish(
                ServingSet(records: [Self.served("web", port: 41001), Self.served("old-api", port: 41002)]))
                == .confirmed)
        #expect(await first.publish(ServingSet(records: [Self.served("web", port: 41001)])) == .confirmed)
        var nginx = try String(contentsOfFile: nginxPath, encoding: .utf8)
        #expect(nginx.contains("upstream gitfleet_old_api {\n    server 127.0.0.1:9 down;"), "\(nginx)")
        #expect(await first.view.set.services["old-api"] == nil, "the HTTP view shows only the serving set")

        let restarted = DiscoveryPublisher(configuration: .init(outputs: outputs))
        #expect(await restarted.publish(ServingSet(records: [Self.served("web", port: 41003)])) == .confirmed)
        nginx = try String(contentsOfFile: nginxPath, encoding: .utf8)
        #expect(nginx.contains("upstream gitfleet_old_api {\n    server 127.0.0.1:9 down;"), "\(nginx)")
        #expect(nginx.contains("server 127.0.0.1:41003 weight=1;"))
        let haproxy = try String(contentsOfFile: haproxyPath, encoding: .utf8)
        #expect(haproxy.contains("backend gitfleet_old_api\n    server none 127.0.0.1:9 disabled"), "\(haproxy)")
    }

    @Test(
        "with a real nginx: from an empty registry through a rollout to removing a service, nginx accepts every output")
    func realNginxAcceptsEveryOutput() async throws {
        let fixture = try ConvergenceFixture()
        var server: NginxServer? = nil
        do {
            // What an operator starts nginx with before the controller has run: both upstreams, empty.
            let nginx = try await NginxServer(
                services: ["web", "api"],
                upstreams: DiscoveryTemplate.nginx.render(
                    ServingSet(records: [], services: ["web", "api"]), port: "http"))
            server = nginx
            let statuses = fixture.stateDirectory + "/reload-statuses"
            let metrics = FleetMetrics()
            let discovery = DiscoveryPublisher(
                configuration: .init(
                    outputs: [DiscoveryOutput(kind: .nginx, path: nginx.upstreamFile)],
                    reloadCommand: try nginx.checkedReloadCommand(recordingTo: statuses)),
                metrics: metrics)
            let converger = fixture.converger(discovery: discovery)
            let image = try await fixture.image("1.0.0")
            var api = fixture.webService(image: image, replicas: 1)
            api.name = "api"
            let web = fixture.webService(image: image, replicas: 1)

            let both = try await converger.converge(Fleet(name: "test", services: [api, web]), timeout: .seconds(90))
            #expect(both.map(\.phase) == [.converged, .converged], "\(both)")
            // `nginx -s reload` returns once signalled; the new workers take over a moment later.
            var answer: LoopbackHTTP.Response? = nil
            let deadline = ContinuousClock.now.advanced(by: .seconds(20))
            while ContinuousClock.now < deadline {
                answer = try await LoopbackHTTP.get(port: nginx.port, path: "/api/", timeout: .seconds(5))
                if answer?.status != 502 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(
                answer?.status == 200 || answer?.status == 404,
                "nginx proxies to api: \(String(describing: answer))\n\(nginx.errorLog)")

            let onlyWeb = try await converger.converge(Fleet(name: "test", services: [web]), timeout: .seconds(90))
            // The pass that destroys api's last instance reports it removed, once.
            #expect(onlyWeb.first { $0.service == "web" }?.phase == .converged, "\(onlyWeb)")
            #expect(onlyWeb.allSatisfy { $0.service == "web" || $0.phase == .removed }, "\(onlyWeb)")
            #expect(try await fixture.records("api").isEmpty)
            let file = try String(contentsOfFile: nginx.upstreamFile, encoding: .utf8)
            #expect(file.contains("upstream gitfleet_api {\n    server 127.0.0.1:9 down;"), "\(file)")

            let checks = try String(contentsOfFile: statuses, encoding: .utf8).split(separator: "\n")
            #expect(checks.count >= 3, "a reload for each change of the serving set")
            #expect(checks.allSatisfy { $0 == "0" }, "nginx -t refused an output:\n\(nginx.checkLog)")
            #expect(metrics.value(of: .discoveryReloads, labels: ["result": "failed"]) == nil)
            #expect(await discovery.status.problem == nil)
        } catch {
            server?.stop()
            await fixture.tearDown()
            throw error
        }
        server?.stop()
        await fixture.tearDown()
    }
}
