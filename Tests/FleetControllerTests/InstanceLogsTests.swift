import FleetController
import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

/// Which output `gitfleet logs` and the logs route answer with, and what a failed instance's record keeps. The
/// real runtime and registry are exercised by `LogsServerTests`; these check the choices between them.
@Suite("InstanceLogs: kept output first, the runtime otherwise, and what is missing named")
struct InstanceLogsTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(_ id: String, service: String = "web", state: InstanceState, kept: String? = nil)
        -> InstanceRecord
    {
        InstanceRecord(
            id: id, service: service, specHash: SpecHash(rawValue: String(repeating: "a", count: 64)),
            image: "shop/\(service):1", state: state, createdAt: t0, keptOutput: kept)
    }

    static func read(_ service: String, _ id: String, tail: Int = 100, in registry: InMemoryRegistry) async throws
        -> InstanceLogs.Answer
    {
        try await InstanceLogs.read(
            service: service, instance: id, tail: tail, registry: registry,
            runtime: ScriptedRuntime(host: ScriptedHost()))
    }

    @Test("a quarantined instance answers its kept output, the newest lines, without asking the runtime")
    func keptOutput() async throws {
        let registry = InMemoryRegistry()
        try await registry.commit([.putInstance(Self.record("web-1", state: .quarantined, kept: "one\ntwo\nthree\n"))])
        #expect(try await Self.read("web", "web-1", in: registry) == .output("one\ntwo\nthree\n"))
        #expect(try await Self.read("web", "web-1", tail: 2, in: registry) == .output("two\nthree\n"))
    }

    @Test("an unknown service, an id of another service, and an instance nothing keeps output of are told apart")
    func missing() async throws {
        let registry = InMemoryRegistry()
        try await registry.commit([
            .putInstance(Self.record("web-1", state: .stopped)),
            .putInstance(Self.record("api-1", service: "api", state: .serving)),
        ])
        #expect(try await Self.read("nosuch", "web-1", in: registry) == .serviceNotFound)
        #expect(try await Self.read("web", "web-9", in: registry) == .instanceNotFound)
        #expect(try await Self.read("web", "api-1", in: registry) == .instanceNotFound)
        // The runtime has no such instance and the record keeps nothing.
        #expect(try await Self.read("web", "web-1", in: registry) == .noOutput)
    }

    @Test("a registry that cannot be read is said to be the registry")
    func unreadableRegistry() async throws {
        let registry = InMemoryRegistry()
        try await registry.close()
        await #expect(throws: InstanceLogs.Unreadable.self) { try await Self.read("web", "web-1", in: registry) }
        do {
            _ = try await Self.read("web", "web-1", in: registry)
        } catch let error as InstanceLogs.Unreadable {
            #expect(error.source == .registry)
        }
    }

    @Test("kept output is capped to its newest part, starting on a whole line")
    func cap() {
        let short = "a few lines\nof output\n"
        #expect(InstanceLogs.kept(short) == short)
        let lines = (0..<10_000).map { "line \($0) of the output ✓" }
        let kept = InstanceLogs.kept(lines.joined(separator: "\n") + "\n")
        #expect(kept.utf8.count <= InstanceRecord.keptOutputLimit)
        #expect(kept.utf8.count > InstanceRecord.keptOutputLimit - 100)
        #expect(kept.hasPrefix("line ") && kept.hasSuffix("line 9999 of the output ✓\n"))
        let first = try? #require(kept.split(separator: "\n").first)
        #expect(first.map { lines.contains(String($0)) } == true)
    }
}
