import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// The drain gate of discovery agents on real parts (the process runtime, demo instances probed over HTTP, the
/// SQLite registry, the system clock), with a stand-in agent that reports to the roster as `gitfleet agent` does
/// over HTTP: the index of the serving set it shows, every 200 ms. The real agent's end-to-end tests run
/// `gitfleet serve` and `gitfleet agent` processes in front of nginx.
@Suite("Discovery agents hold drains and switches until they show the serving set", .serialized)
struct AgentGateConvergenceTests {
    /// A load balancer's agent: follows the publisher's view while `following`, else keeps reporting the index it
    /// showed last, as one whose reload keeps failing or that lost its controller would.
    actor StandInAgent {
        let name: String
        private var following = true
        private var shown: String?
        private var task: Task<Void, Never>?

        init(name: String) { self.name = name }

        func start(roster: AgentRoster, discovery: DiscoveryPublisher) {
            task = Task {
                while !Task.isCancelled {
                    await self.report(roster: roster, view: await discovery.view.etag)
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
        }

        private func report(roster: AgentRoster, view: String) async {
            let index = following ? view : shown ?? view
            shown = index
            _ = await roster.receive(AgentReport(index: index, version: "test"), from: name)
        }

        func follow(_ follows: Bool) { following = follows }

        func stop() { task?.cancel() }
    }

    /// Runs `body` with real parts, a publisher without outputs (the agents are the load balancers), a roster
    /// requiring `required`, a converger gated by it and a stand-in agent `name`; tears everything down after.
    static func withAgent(
        _ name: String, required: [String], metrics: FleetMetrics? = nil,
        _ body: (ConvergenceFixture, Converger, AgentRoster, StandInAgent) async throws -> Void
    ) async throws {
        let fixture = try ConvergenceFixture()
        let discovery = DiscoveryPublisher(configuration: .init())
        let roster = AgentRoster(
            settings: .init(required: required, timeout: .seconds(30)), discovery: discovery, metrics: metrics)
        let agent = StandInAgent(name: name)
        await agent.start(roster: roster, discovery: discovery)
        let converger = Converger(
            registry: fixture.registry, runtime: fixture.runtime, options: .init(tick: .milliseconds(100)),
            metrics: metrics, discovery: discovery, agents: roster)
        do {
            try await body(fixture, converger, roster, agent)
        } catch {
            await agent.stop()
            await fixture.tearDown()
            throw error
        }
        await agent.stop()
        await fixture.tearDown()
    }

    @Test(
        "a required agent that lags holds the old instances serving past the progress deadline; its report lets the rollout finish"
    )
    func requiredAgentHoldsDrains() async throws {
        let metrics = FleetMetrics()
        try await Self.withAgent("lb-1", required: ["lb-1"], metrics: metrics) { fixture, converger, roster, agent in
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"))
            let first = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            #expect(first.map(\.phase) == [.converged], "a following agent lets every step go")
            let v1IDs = Set(try await fixture.records().map(\.id))

            await agent.follow(false)
            let v2 = fixture.webService(image: try await fixture.image("2.0.0"), progressDeadline: .seconds(4))
            let held = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(10))
            // Twice the progress deadline: a rollout held by an agent is waiting, not failing.
            #expect(held.map(\.phase) == [.progressing], "\(held)")
            let during = try await fixture.records()
            let old = during.filter { v1IDs.contains($0.id) }
            #expect(old.count == 3 && old.allSatisfy { $0.state == .serving }, "\(old.map(\.state))")
            #expect(!during.contains { $0.state == .draining }, "no drain starts while the agent lags")
            #expect(
                during.contains { $0.specHash == SpecHash(v2) && $0.state == .serving },
                "creation is not held: the new instance serves beside the old ones")
            let rollout = try #require(try await fixture.registry.rolloutState(service: "web")?.record)
            #expect(rollout.phase == .progressing, "\(rollout)")
            let readiness = await roster.readinessProblems()
            #expect(readiness.count == 1 && readiness[0].hasPrefix("agent lb-1: behind"), "\(readiness)")
            #expect(metrics.value(of: .discoveryWaitingAgents) == 1)

            await agent.follow(true)
            let done = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(60))
            #expect(done.map(\.phase) == [.converged], "\(done)")
            let after = try await fixture.records()
            #expect(after.count == 3 && after.allSatisfy { $0.specHash == SpecHash(v2) && $0.state == .serving })
            #expect(await roster.readinessProblems().isEmpty)
            #expect(metrics.value(of: .discoveryWaitingAgents) == 0)
        }
    }

    @Test("an agent that is not required holds nothing, however far behind it is")
    func optionalAgentHoldsNothing() async throws {
        try await Self.withAgent("lb-9", required: []) { fixture, converger, roster, agent in
            await agent.follow(false)
            let v1 = fixture.webService(image: try await fixture.image("1.0.0"), replicas: 2)
            let first = try await converger.converge(Fleet(name: "test", services: [v1]), timeout: .seconds(60))
            #expect(first.map(\.phase) == [.converged], "\(first)")
            let v2 = fixture.webService(image: try await fixture.image("2.0.0"), replicas: 2)
            let second = try await converger.converge(Fleet(name: "test", services: [v2]), timeout: .seconds(60))
            #expect(second.map(\.phase) == [.converged], "\(second)")
            let listed = await roster.entries()
            #expect(listed.map(\.name) == ["lb-9"] && listed.first?.state == .behind, "\(listed)")
        }
    }
}
