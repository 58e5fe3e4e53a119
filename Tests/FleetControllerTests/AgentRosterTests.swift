import FleetController
import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// The discovery agents' states and the drain gate, alone (a pure decision) and in the roster (on a simulated
/// clock): which required agents a publication waits on, what readiness says, what is told and counted.
@Suite("Discovery agents: states and the drain gate", .tags(.fast))
struct AgentRosterTests {
    static let seen = Date(timeIntervalSince1970: 1_800_000_000)

    struct StateCase: Sendable, CustomTestStringConvertible {
        var label: String
        var report: AgentReport?
        var age: TimeInterval
        var expected: AgentState
        var confirms: Bool
        var testDescription: String { label }
    }

    static let cases: [StateCase] = [
        .init(label: "never reported", report: nil, age: 0, expected: .unknown, confirms: false),
        .init(
            label: "at the published index", report: .init(index: "\"b\""), age: 1, expected: .current, confirms: true),
        .init(label: "at an older index", report: .init(index: "\"a\""), age: 1, expected: .behind, confirms: false),
        .init(label: "no index yet", report: .init(index: nil), age: 1, expected: .behind, confirms: false),
        .init(
            label: "failing on the published set", report: .init(index: "\"a\"", problem: "reload exited 1"), age: 1,
            expected: .failing, confirms: false),
        .init(
            label: "a later attempt fails but its outputs show the published set",
            report: .init(index: "\"b\"", problem: "reload exited 1"), age: 1, expected: .failing, confirms: true),
        .init(
            label: "exactly at the timeout", report: .init(index: "\"b\""), age: 15, expected: .current, confirms: true),
        .init(label: "past the timeout", report: .init(index: "\"b\""), age: 15.5, expected: .silent, confirms: false),
        .init(
            label: "silent says more than failing", report: .init(index: "\"a\"", problem: "x"), age: 60,
            expected: .silent, confirms: false),
    ]

    @Test("the state of an agent, and whether it confirms a publication", arguments: cases)
    func state(_ example: StateCase) {
        let now = Self.seen.addingTimeInterval(example.age)
        let receivedAt = example.report == nil ? nil : Self.seen
        #expect(
            AgentState.of(example.report, receivedAt: receivedAt, now: now, timeout: .seconds(15), published: "\"b\"")
                == example.expected)
        #expect(
            AgentState.confirms(example.report, receivedAt: receivedAt, now: now, timeout: .seconds(15), etag: "\"b\"")
                == example.confirms)
    }

    @Test("a publication waits on each required agent until it reports the etag in time; others hold nothing")
    func gate() async {
        let clock = SimulatedClock()
        let roster = AgentRoster(
            settings: .init(required: ["lb-1", "lb-2"], timeout: .seconds(10)), clock: clock)
        #expect(await roster.hold("\"a\"").map(\.name) == ["lb-1", "lb-2"], "never seen: both hold")
        #expect(await roster.hold("\"a\"").map(\.state) == [.unknown, .unknown])

        #expect(await roster.receive(AgentReport(index: "\"a\""), from: "lb-1") == false, "lb-2 still holds")
        #expect(await roster.receive(AgentReport(index: "\"z\""), from: "lb-9") == false)
        #expect(await roster.hold("\"a\"").map(\.name) == ["lb-2"], "lb-9 is not required")
        #expect(await roster.receive(AgentReport(index: "\"a\""), from: "lb-2") == true, "the last one wakes")
        #expect(await roster.hold("\"a\"").isEmpty)

        let next = await roster.hold("\"b\"")
        #expect(next.map(\.name) == ["lb-1", "lb-2"] && next.allSatisfy { $0.state == .behind })
        #expect(await roster.receive(AgentReport(index: "\"b\""), from: "lb-1") == false)
        #expect(await roster.receive(AgentReport(index: "\"a\"", problem: "reload exited 1"), from: "lb-2") == false)
        let failing = await roster.hold("\"b\"")
        #expect(failing.map(\.name) == ["lb-2"] && failing.first?.state == .failing)
        let sentence = roster.problem(waiting: failing)
        #expect(sentence.contains("lb-2 (failing: reload exited 1)"), "\(sentence)")
        #expect(await roster.readinessProblems() == ["agent lb-2: failing: reload exited 1"])

        #expect(await roster.receive(AgentReport(index: "\"b\""), from: "lb-2") == true)
        #expect(await roster.hold("\"b\"").isEmpty)
        #expect(await roster.readinessProblems().isEmpty)

        clock.advance(by: .seconds(11))
        let silent = await roster.hold("\"b\"")
        #expect(silent.map(\.name) == ["lb-1", "lb-2"] && silent.allSatisfy { $0.state == .silent })
        #expect(await roster.readinessProblems().first == #"agent lb-1: silent for 11s (last index "b")"#)
    }

    @Test("without required agents nothing holds, and every agent is listed")
    func noneRequired() async {
        let roster = AgentRoster(settings: .init(), clock: SimulatedClock())
        _ = await roster.receive(AgentReport(index: "\"old\"", problem: "reload exited 1"), from: "lb-1")
        #expect(await roster.hold("\"new\"").isEmpty)
        #expect(await roster.readinessProblems().isEmpty)
        let entries = await roster.entries()
        #expect(entries.map(\.name) == ["lb-1"] && entries.first?.required == false)
        #expect(entries.first?.state == .failing)
    }

    @Test("failing and silent episodes are told once each, recoveries too; metrics follow; long-silent agents go")
    func episodes() async throws {
        let clock = SimulatedClock()
        let log = EventLog(firstID: 1)
        let metrics = FleetMetrics()
        let discovery = DiscoveryPublisher(configuration: .init(), clock: clock)
        let published = await discovery.view.etag
        let roster = AgentRoster(
            settings: .init(required: ["lb-1"], timeout: .seconds(10)), discovery: discovery, clock: clock,
            metrics: metrics, events: log)
        _ = await roster.receive(AgentReport(index: published), from: "lb-1")
        _ = await roster.receive(AgentReport(index: published), from: "lb-2")
        #expect(metrics.value(of: .agentCurrent, labels: ["agent": "lb-1"]) == 1)
        #expect(metrics.value(of: .agentReports, labels: ["agent": "lb-1"]) == 1)
        for _ in 0..<3 {
            _ = await roster.receive(AgentReport(index: published, problem: "reload exited 1"), from: "lb-1")
        }
        #expect(metrics.value(of: .agentFailing, labels: ["agent": "lb-1"]) == 1)
        #expect(metrics.value(of: .agentCurrent, labels: ["agent": "lb-1"]) == 0)
        _ = await roster.receive(AgentReport(index: published), from: "lb-1")
        var told = await log.events().events.map { "\($0.type.rawValue) \($0.fields["agent"]?.description ?? "")" }
        #expect(told == ["agent-failing lb-1", "agent-recovered lb-1"])

        clock.advance(by: .seconds(11))
        _ = await roster.entries()
        _ = await roster.entries()
        told = await log.events().events.map { "\($0.type.rawValue) \($0.fields["agent"]?.description ?? "")" }
        #expect(told.suffix(2) == ["agent-failing lb-1", "agent-failing lb-2"], "\(told)")
        #expect(told.count == 4, "told once per episode: \(told)")
        #expect(metrics.value(of: .agentSilent, labels: ["agent": "lb-2"]) == 1)

        clock.advance(by: .seconds(100))
        let left = await roster.entries()
        #expect(left.map(\.name) == ["lb-1"], "lb-2 is not required and silent for ten timeouts: forgotten")
        #expect(metrics.value(of: .agentSilent, labels: ["agent": "lb-2"]) == nil)
        #expect(left.first?.state == .silent, "a required agent stays listed")
    }
}
