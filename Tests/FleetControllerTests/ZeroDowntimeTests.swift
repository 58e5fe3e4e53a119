import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// A real nginx in front of the demo service, its upstreams written by discovery and reloaded by its
/// reload command, while a load generator sends requests through it during each kind of rollout.
@Suite("Zero downtime through a real nginx", .serialized)
struct ZeroDowntimeTests {
    @Test(
        "no request through nginx fails during a rollout, and afterwards only the new version answers",
        arguments: [RolloutPolicy.Strategy.rolling, .blueGreen, .canary])
    func zeroDowntime(strategy: RolloutPolicy.Strategy) async throws {
        let fixture = try ConvergenceFixture()
        var nginx: NginxServer? = nil
        do {
            let v1 = fixture.zeroDowntimeService(image: try await fixture.image("1.0.0"), strategy: strategy)
            let initial = try await fixture.converger().converge(
                Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            #expect(initial.map(\.phase) == [.converged])
            let upstreams = DiscoveryTemplate.nginx.render(
                ServingSet(records: try await fixture.records()), port: "http")
            let server = try await NginxServer(service: "web", upstreams: upstreams)
            nginx = server
            let discovery = DiscoveryPublisher(
                configuration: .init(
                    outputs: [DiscoveryOutput(kind: .nginx, path: server.upstreamFile)],
                    reloadCommand: server.reloadCommand))
            let converger = fixture.converger(discovery: discovery)

            let load = LoadGenerator()
            let loading = Task { await load.run(port: server.port) }
            try await waitUntil("the load generator is answered through nginx") { await load.answered >= 200 }
            let startedAt = await load.answered
            let watcher = UpstreamWatcher(path: server.upstreamFile)
            let watching = Task { await watcher.run() }

            let v2 = fixture.zeroDowntimeService(image: try await fixture.image("2.0.0"), strategy: strategy)
            let rollout = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(120))
            let convergedAt = await load.versions.count
            let sentDuringRollout = await load.answered - startedAt
            let answeredAtConvergence = await load.answered
            try await waitUntil("300 more answers after the rollout") {
                await load.answered >= answeredAtConvergence + 300
            }
            await load.stop()
            await loading.value
            await watcher.stop()
            await watching.value

            let sent = await load.sent
            let failed = await load.failed
            print(
                "zero-downtime \(strategy.rawValue): \(sent) requests sent, \(failed) failed (\(sentDuringRollout) during the rollout)"
            )
            #expect(rollout.map(\.phase) == [.converged], "\(rollout)")
            let failures = await load.failures
            #expect(failed == 0, "\(failures)\n\(server.errorLog)")
            #expect(sentDuringRollout >= 2000, "too few requests during the rollout to prove anything")
            let after = await load.versions(after: convergedAt)
            #expect(after.count >= 300 && after.allSatisfy { $0 == "2.0.0" }, "\(Set(after))")
            let versions = await load.versions
            #expect(versions.contains("1.0.0") && versions.contains("2.0.0"))
            if strategy == .canary {
                // The canary's share came from upstream weights, not only from instance counts.
                // Step 10 %: 1 new and 2 old instances weigh 2 and 9 each (2 of 20); step 50 %: 2 new and 1 old
                // weigh 1 and 2 (2 of 4).
                let weights = await watcher.weights
                #expect(weights.contains([2, 9]) && weights.contains([1, 2]), "\(weights)")
            }
            if strategy == .blueGreen {
                // One switch: the upstream went from all-old to all-new, never mixed.
                let specs = await watcher.specCounts
                #expect(specs.allSatisfy { $0 <= 1 }, "a published upstream mixed the two sets: \(specs)")
            }
        } catch {
            nginx?.stop()
            await fixture.tearDown()
            throw error
        }
        nginx?.stop()
        await fixture.tearDown()
    }
}

/// Reads the nginx upstream file while a rollout runs and remembers the distinct weight sets and how
/// many spec hashes each version of the file named.
actor UpstreamWatcher {
    let path: String
    private var running = true
    private(set) var weights: Set<Set<Int>> = []
    private(set) var specCounts: [Int] = []
    private var last = ""

    init(path: String) { self.path = path }

    func stop() { running = false }

    func run() async {
        while running {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text != last {
                last = text
                let servers = text.split(separator: "\n").filter { $0.contains("server ") && !$0.contains(" down;") }
                weights.insert(
                    Set(
                        servers.compactMap { line in
                            line.split(separator: " ").first { $0.hasPrefix("weight=") }.flatMap {
                                Int($0.dropFirst("weight=".count).dropLast())
                            }
                        }))
                // Instance ids carry the first 8 digits of their spec hash: web-<hash8>-<suffix>.
                let hashes = Set(
                    servers.compactMap { $0.split(separator: "#").last?.split(separator: "-").dropFirst().first })
                specCounts.append(hashes.count)
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

extension ConvergenceFixture {
    /// The web service with `strategy`, paced so a rollout lasts long enough to carry a few thousand
    /// requests: instances serve after a second of health, drains wait a second.
    func zeroDowntimeService(image: ImageReference, strategy: RolloutPolicy.Strategy) -> ServiceSpec {
        var spec = webService(image: image, minReady: .seconds(1))
        spec.rollout.strategy = strategy
        spec.drain = DrainPolicy(delay: .seconds(1), gracePeriod: .seconds(5))
        switch strategy {
        case .rolling: break
        case .blueGreen: spec.rollout.scaleDownDelay = .seconds(3)
        case .canary:
            spec.rollout.steps = [
                RolloutPolicy.CanaryStep(weight: 10, pause: .seconds(2)),
                RolloutPolicy.CanaryStep(weight: 50, pause: .seconds(2)),
            ]
        }
        return spec
    }
}

/// Polls `condition` every 50 ms for up to `timeout`; fails the test saying what was awaited.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw FixtureError("timed out waiting until \(what)")
}
