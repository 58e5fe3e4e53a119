import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

@Suite("Discovery holds rollouts until the outputs are confirmed", .serialized)
struct DiscoveryOrderingTests {
    @Test(
        "a failing reload command leaves the old instances serving and the rollout waiting; it proceeds once the reload works"
    )
    func failingReloadHoldsTheRollout() async throws {
        let fixture = try ConvergenceFixture()
        let scratch = try TemporaryDirectory(prefix: "gitfleet-discovery")
        do {
            let output = scratch.appending("upstreams.conf")
            let broken = scratch.appending("reload-broken")
            let metrics = FleetMetrics()
            // The reload fails while the file `broken` exists: argv, no shell of gitfleet's own.
            let discovery = DiscoveryPublisher(
                configuration: .init(
                    outputs: [DiscoveryOutput(kind: .nginx, path: output)],
                    reloadCommand: ["/usr/bin/test", "!", "-e", broken], retryDelay: .milliseconds(200)),
                metrics: metrics)
            let converger = fixture.converger(metrics: metrics, discovery: discovery)
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"))
            let first = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            #expect(first.map(\.phase) == [.converged])
            let v1IDs = Set(try await fixture.records().map(\.id))
            let published = try String(contentsOfFile: output, encoding: .utf8)
            #expect(v1IDs.allSatisfy { published.contains($0) }, "\(published)")

            FileManager.default.createFile(atPath: broken, contents: nil)
            var v2 = fixture.webService(image: try await fixture.image("2.0.0"))
            v2.rollout.progressDeadline = .seconds(10)
            let second = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(15))
            // Longer than the progress deadline: waiting on discovery is not a failed rollout.
            #expect(second.map(\.phase) == [.progressing], "\(second)")
            let during = try await fixture.records()
            let old = during.filter { v1IDs.contains($0.id) }
            #expect(old.count == 3 && old.allSatisfy { $0.state == .serving }, "\(old.map(\.state))")
            #expect(during.contains { $0.specHash == SpecHash(v2) && $0.state == .serving })
            let status = await discovery.status
            #expect(status.problem?.contains("exited 1") == true, "\(String(describing: status.problem))")
            #expect(status.failures >= 2, "the reload was not retried")
            #expect(metrics.value(of: .discoveryFailing) == 1)
            #expect((metrics.value(of: .discoveryReloads, labels: ["result": "failed"]) ?? 0) >= 2)

            try FileManager.default.removeItem(atPath: broken)
            let third = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(60))
            #expect(third.map(\.phase) == [.converged], "\(third)")
            let after = try await fixture.records()
            #expect(after.count == 3 && after.allSatisfy { $0.specHash == SpecHash(v2) && $0.state == .serving })
            #expect(await discovery.status.problem == nil)
            #expect(metrics.value(of: .discoveryFailing) == 0)
            let final = try String(contentsOfFile: output, encoding: .utf8)
            #expect(after.allSatisfy { final.contains($0.id) } && v1IDs.allSatisfy { !final.contains($0) }, "\(final)")
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
        scratch.remove()
    }

    /// Logic only: on simulated parts (the canary's 300 s pause would otherwise bound nothing).
    @Test("a canary that fails health rolls back, and the reason says the canary failed")
    func failingCanaryRollsBack() async throws {
        let fixture = try ConvergenceFixture.simulated()
        do {
            let discovery = DiscoveryPublisher(configuration: .init())
            let converger = fixture.converger(discovery: discovery)
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"))
            let first = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            #expect(first.map(\.phase) == [.converged])

            var v2 = fixture.webService(
                image: try await fixture.image("2.0.0", env: ["DEMO_FAIL_HEALTH": "1"]), startTimeout: .seconds(2))
            v2.rollout.strategy = .canary
            // A long pause: the rollback must come from the failed health, not from a step running out.
            v2.rollout.steps = [RolloutPolicy.CanaryStep(weight: 30, pause: .seconds(300))]
            let second = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(60))
            let phase = try #require(second.first?.phase)
            guard case .rolledBack(let reason) = phase else {
                Issue.record("expected a rollback, got \(phase)")
                return await fixture.tearDown()
            }
            #expect(reason.contains("canary failed at step 1"), "\(reason)")
            let records = try await fixture.records()
            let serving = records.filter { $0.state == .serving }
            #expect(serving.count == 3 && serving.allSatisfy { $0.specHash == SpecHash(v1) })
            #expect(records.contains { $0.specHash == SpecHash(v2) && $0.state == .quarantined })
            let published = await discovery.view.set.services["web"] ?? []
            #expect(Set(published.map(\.instance)) == Set(serving.map(\.id)))
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}

@Suite("The order of publication, reload and SIGTERM", .serialized)
struct PublicationOrderTests {
    @Test(
        "every reload lists at least replicas instances; each old one is stopped only a drain delay after a reload left it out"
    )
    func reloadsPrecedeStops() async throws {
        let fixture = try ConvergenceFixture()
        let scratch = try TemporaryDirectory(prefix: "gitfleet-order")
        do {
            let output = scratch.appending("upstreams.conf")
            let timeline = scratch.appending("timeline")
            FileManager.default.createFile(atPath: timeline, contents: nil)
            // The reload appends what the file it confirms lists, so the timeline shows what nginx would serve.
            let script =
                #"printf 'reload %s %s\n' "$(date +%s.%N)" "$(grep -o '# web-[a-z0-9-]*' "$1" | cut -c3- | tr '\n' ' ')" >> "$2""#
            let discovery = DiscoveryPublisher(
                configuration: .init(
                    outputs: [DiscoveryOutput(kind: .nginx, path: output)],
                    reloadCommand: ["/bin/sh", "-c", script, "reload", output, timeline]))
            let runtime = StopRecordingRuntime(base: fixture.runtime, timeline: timeline)
            let converger = fixture.converger(runtime: runtime, discovery: discovery)
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"))
            _ = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            let old = Set(try await fixture.records().map(\.id))
            try Data().write(to: URL(fileURLWithPath: timeline))

            let v2 = fixture.webService(image: try await fixture.image("2.0.0"))
            let report = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(60))
            #expect(report.map(\.phase) == [.converged])

            let lines = try String(contentsOfFile: timeline, encoding: .utf8).split(separator: "\n").map {
                $0.split(separator: " ").map(String.init)
            }
            let reloads = lines.enumerated().filter { $0.element.first == "reload" }
            #expect(reloads.count >= 3, "\(lines)")
            for (_, line) in reloads {
                #expect(line.count - 2 >= 3, "a confirmed serving set had fewer than 3 instances: \(line)")
            }
            let delay = 0.3  // the fixture's drain delay
            for id in old {
                let stop = try #require(lines.firstIndex { $0.count == 3 && $0[0] == "stop" && $0[1] == id })
                let stoppedAt = try #require(Double(lines[stop][2]))
                let leftOut = reloads.first { $0.offset < stop && !$0.element.dropFirst(2).contains(id) }
                let reload = try #require(leftOut, "\(id) was stopped before any reload left it out: \(lines)")
                let reloadedAt = try #require(Double(reload.element[1]))
                #expect(stoppedAt - reloadedAt >= delay, "\(id) stopped \(stoppedAt - reloadedAt) s after its removal")
            }
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
        scratch.remove()
    }
}

/// The process runtime, appending `stop <id> <time>` to a timeline file before each stop, so a test can
/// put SIGTERMs and reloads in one order.
final class StopRecordingRuntime: ForwardingRuntime, @unchecked Sendable {
    let timeline: String

    init(base: any Runtime, timeline: String) {
        self.timeline = timeline
        super.init(base: base)
    }

    override func stop(instanceID: String, gracePeriod: Duration) async throws -> FleetRuntime.ExitStatus? {
        let line = "stop \(instanceID) \(String(format: "%.6f", Date().timeIntervalSince1970))\n"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: timeline))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
        try handle.close()
        return try await base.stop(instanceID: instanceID, gracePeriod: gracePeriod)
    }
}
