import ArgumentParser
import Foundation

/// Benchmarks of gitfleet against the targets in docs/performance.md. Build in release; each subcommand is
/// its own process so that its peak RSS is its own.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gitfleet-bench",
        abstract: "gitfleet benchmarks (see docs/performance.md).",
        subcommands: [
            All.self, Fixture.self, Load.self, Reload.self, PlanBench.self, Rollout.self, SteadyState.self,
            RegistryBench.self, Services.self, Webhook.self, Polling.self, Validate.self, ServeStart.self,
        ])
}

struct Fixture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the fixture repository and keep it; prints its path and first commit (for profiling).")
    @Option var services = 10_000
    func run() throws {
        let fixture = try FixtureRepository.create(services: services)
        print(fixture.path, fixture.first)
    }
}

struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "(a) cold load + validation of N service files, against git ls-tree | git cat-file --batch.")
    @Option var services = 10_000
    @Option var runs = 7
    func run() throws { try LoadBenchmarks.coldLoad(services: services, runs: runs) }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(b) reload after one of N service files changed.")
    @Option var services = 10_000
    @Option var runs = 15
    func run() throws { try LoadBenchmarks.reload(services: services, runs: runs) }
}

struct PlanBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "(c) Planner.plan for N services × M instances, and rendering.")
    @Option var services = 10_000
    @Option var instances = 10
    @Option var runs = 7
    func run() throws { try PlanBenchmark.run(services: services, instances: instances, runs: runs) }
}

struct DemoOptions: ParsableArguments {
    @Option(help: "The gitfleet-demo binary; default: the one built next to gitfleet-bench.")
    var demo: String?
    @Option(help: "Converger tick in milliseconds.") var tickMs = 200
    @Option(help: "Health probe interval in milliseconds.") var probeMs = 100

    func demoBinary() throws -> String {
        if let demo { return demo }
        return try BuiltProduct.path("gitfleet-demo")
    }
}

struct Rollout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "(d) rolling replacement of N demo instances with maxSurge S on the process runtime.")
    @OptionGroup var demo: DemoOptions
    @Option var replicas = 50
    @Option var surge = 10
    @Option(help: "Drain delay in milliseconds.") var drainMs = 100
    @Option var runs = 3
    func run() async throws {
        try await RuntimeBenchmarks.rollout(
            demoBinary: try demo.demoBinary(), replicas: replicas, surge: surge, drainDelay: .milliseconds(drainMs),
            probeInterval: .milliseconds(demo.probeMs), tick: .milliseconds(demo.tickMs), runs: runs)
    }
}

struct RegistryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "(g) etcd registry commits per second, against a gRPC client's txns on the same etcd.")
    @Option var writes = 1_000
    @Option var concurrency = 8
    @Option var runs = 3
    func run() async throws {
        try await RegistryBenchmarks.run(writes: writes, concurrency: concurrency, runs: runs)
    }
}
