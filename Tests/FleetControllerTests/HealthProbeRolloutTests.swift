import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// The richer checks against real demo processes: gRPC and http probes (header, status) gate rollouts, and
/// readiness and liveness act apart on a serving instance.
@Suite("Health probes in rollouts", .serialized)
struct HealthProbeRolloutTests {
    /// What discovery published while `body` ran: every spec hash seen, polled every 50 ms.
    final class PublishedHashes: Sendable {
        let seen = Seen()
        let polling: Task<Void, Never>

        actor Seen {
            var hashes: Set<String> = []
            func add(_ more: [String]) { hashes.formUnion(more) }
        }

        init(_ discovery: DiscoveryPublisher) {
            polling = Task { [seen] in
                while !Task.isCancelled {
                    await seen.add((await discovery.view.set.services["web"] ?? []).map(\.specHash))
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
        }

        func stop() async -> Set<String> {
            polling.cancel()
            await polling.value
            return await seen.hashes
        }
    }

    static func spec(
        _ fixture: ConvergenceFixture, image: ImageReference, readiness probe: HealthCheck.Probe
    ) -> ServiceSpec {
        // A failing spec rolls back at its progress deadline; 12 s leaves room for the creation back-off that the
        // failures of the spec before it leave, so that each failing spec gets instances to fail.
        var spec = fixture.webService(
            image: image, replicas: 2, progressDeadline: .seconds(12), startTimeout: .seconds(2))
        spec.ports = ["http": 0, "grpc": 0]
        spec.health = nil
        spec.readiness = HealthCheck(
            probe: probe, interval: .milliseconds(200), timeout: .seconds(2), unhealthyThreshold: 2,
            startTimeout: .seconds(2))
        return spec
    }

    /// Converges to `spec` and expects a rollback whose reason contains `expected`, with none of its instances
    /// ever published and the instances of `serving` still serving.
    static func expectRollback(
        _ spec: ServiceSpec, _ converger: Converger, _ discovery: DiscoveryPublisher, _ fixture: ConvergenceFixture,
        serving: SpecHash, reason expected: String
    ) async throws {
        let published = PublishedHashes(discovery)
        let report = try await converger.converge(Fleet(name: "test", services: [spec]), timeout: .seconds(60))
        let seen = await published.stop()
        let phase = try #require(report.first?.phase)
        guard case .rolledBack(let reason) = phase else {
            Issue.record("expected a rollback, got \(phase)")
            return
        }
        #expect(reason.contains(expected), "\(reason)")
        #expect(!seen.contains(SpecHash(spec).rawValue), "an instance of the failing spec took traffic")
        let records = try await fixture.records()
        let servingNow = records.filter { $0.state == .serving }
        #expect(servingNow.count == 2 && servingNow.allSatisfy { $0.specHash == serving }, "\(servingNow)")
        let quarantined = records.filter { $0.specHash == SpecHash(spec) }
        #expect(!quarantined.isEmpty && quarantined.allSatisfy { !$0.state.isLive }, "\(quarantined)")
        #expect(quarantined.contains { $0.reason?.contains(expected) == true }, "\(quarantined.map(\.reason))")
    }

    /// Rolls `good` out over a first spec probed the usual way, and expects it published.
    static func rollOut(
        _ good: ServiceSpec, _ converger: Converger, _ discovery: DiscoveryPublisher, _ fixture: ConvergenceFixture
    ) async throws {
        let v1 = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
        let first = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
        try #require(first.map(\.phase) == [.converged], "\(first)")
        let second = try await converger.converge(Fleet(name: "test", services: [good]), timeout: .seconds(60))
        try #require(second.map(\.phase) == [.converged], "\(second)")
        let published = await discovery.view.set.services["web"] ?? []
        #expect(published.count == 2 && published.allSatisfy { $0.specHash == SpecHash(good).rawValue })
    }

    @Test("a grpc probe gates a rollout: SERVING rolls out, NOT_SERVING never takes traffic and rolls back")
    func grpcProbeGatesRollouts() async throws {
        let fixture = try ConvergenceFixture()
        do {
            let discovery = DiscoveryPublisher(configuration: .init())
            let converger = fixture.converger(discovery: discovery)
            let grpc = HealthCheck.Probe.grpc(port: "grpc", service: "web")
            let good = Self.spec(fixture, image: try await fixture.image("2.0.0"), readiness: grpc)
            try await Self.rollOut(good, converger, discovery, fixture)

            let notServing = Self.spec(
                fixture, image: try await fixture.image("3.0.0", env: ["DEMO_FAIL_HEALTH": "1"]), readiness: grpc)
            try await Self.expectRollback(
                notServing, converger, discovery, fixture, serving: SpecHash(good), reason: "NOT_SERVING")
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    @Test(
        "an http probe with a header and an expected status gates a rollout; without the header or at another status it rolls back"
    )
    func httpProbeHeaderAndStatusGateRollouts() async throws {
        let fixture = try ConvergenceFixture()
        do {
            let discovery = DiscoveryPublisher(configuration: .init())
            let converger = fixture.converger(discovery: discovery)
            // These instances want a header and answer 204.
            let picky = try await fixture.image(
                "2.0.0", env: ["DEMO_REQUIRE_HEADER": "X-Probe: gitfleet", "DEMO_HEALTH_STATUS": "204"])
            let header = ["X-Probe": "gitfleet"]
            let good = Self.spec(
                fixture, image: picky,
                readiness: .http(path: "/healthz", port: "http", headers: header, status: [204...204]))
            try await Self.rollOut(good, converger, discovery, fixture)

            let noHeader = Self.spec(
                fixture, image: picky,
                readiness: .http(path: "/healthz", port: "http", method: "POST", status: [204...204]))
            try await Self.expectRollback(
                noHeader, converger, discovery, fixture, serving: SpecHash(good), reason: "HTTP 401")
            let wrongStatus = Self.spec(
                fixture, image: picky,
                readiness: .http(path: "/healthz", port: "http", headers: header, status: [200...200]))
            try await Self.expectRollback(
                wrongStatus, converger, discovery, fixture, serving: SpecHash(good), reason: "HTTP 204")
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    @Test(
        "failing readiness takes a serving instance out of discovery and back without replacing it; failing liveness replaces it"
    )
    func readinessAndLivenessActApart() async throws {
        let fixture = try ConvergenceFixture()
        let notReady = fixture.stateDirectory + "/not-ready"
        let notLive = fixture.stateDirectory + "/not-live"
        do {
            let discovery = DiscoveryPublisher(configuration: .init())
            let converger = fixture.converger(discovery: discovery)
            let image = try await fixture.image(
                "1.0.0", env: ["DEMO_FAIL_READY_FILE": notReady, "DEMO_FAIL_HEALTH_FILE": notLive])
            var web = Self.spec(fixture, image: image, readiness: .http(path: "/readyz", port: "http"))
            web.liveness = HealthCheck(
                probe: .http(path: "/healthz", port: "http"), interval: .milliseconds(200), unhealthyThreshold: 2)
            let fleet = Fleet(name: "test", services: [web])
            let first = try await converger.converge(fleet, timeout: .seconds(60))
            try #require(first.map(\.phase) == [.converged], "\(first)")
            let original = Set(try await fixture.records().filter { $0.state == .serving }.map(\.id))
            try #require(original.count == 2)
            func published() async -> Set<String> {
                Set((await discovery.view.set.services["web"] ?? []).map(\.instance))
            }
            #expect(await published() == original)

            let observer = ObservedChanges(InstanceObserver(runtime: fixture.runtime, converger: converger))
            defer { observer.stop() }
            /// Reconciles until `condition` holds (or 20 s pass), as the controller would on the observer's asks.
            func reconcile(until condition: () async throws -> Bool) async throws -> Bool {
                let deadline = ContinuousClock.now.advanced(by: .seconds(20))
                while ContinuousClock.now < deadline {
                    _ = try await converger.reconcile(fleet)
                    if try await condition() { return true }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return false
            }

            #expect(FileManager.default.createFile(atPath: notReady, contents: nil))
            let change = try #require(await observer.first(within: .seconds(20)), "no pass was asked for")
            guard case .readinessChanged(let id) = change else {
                Issue.record("expected a readiness change, got \(change)")
                return await fixture.tearDown()
            }
            #expect(original.contains(id))
            #expect(try await reconcile { await published().isEmpty }, "unready instances stayed in discovery")
            // Out of discovery, not replaced: the same instances still serve, and no other was made.
            try await Task.sleep(for: .seconds(1))
            _ = try await converger.reconcile(fleet)
            let during = try await fixture.records()
            #expect(Set(during.map(\.id)) == original && during.allSatisfy { $0.state == .serving }, "\(during)")

            try FileManager.default.removeItem(atPath: notReady)
            #expect(try await reconcile { await published() == original }, "ready again, yet not published")

            #expect(FileManager.default.createFile(atPath: notLive, contents: nil))
            let replaced = try await reconcile {
                let records = try await fixture.records().filter { original.contains($0.id) }
                return records.allSatisfy { !$0.state.isLive }
            }
            #expect(replaced, "instances failing liveness were not replaced")
            let failed = try await fixture.records().filter { original.contains($0.id) }
            #expect(failed.allSatisfy { $0.reason?.contains("GET /healthz") == true }, "\(failed.map(\.reason))")
            try FileManager.default.removeItem(atPath: notLive)
            let healed = try await converger.converge(fleet, timeout: .seconds(60))
            #expect(healed.map(\.phase) == [.converged], "\(healed)")
            let serving = try await fixture.records().filter { $0.state == .serving }
            #expect(serving.count == 2 && original.isDisjoint(with: serving.map(\.id)))
            #expect(await published() == Set(serving.map(\.id)))
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}
