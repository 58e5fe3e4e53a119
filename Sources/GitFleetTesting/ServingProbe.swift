import FleetRegistry
import FleetRuntime
import Foundation

/// Polls every serving instance over HTTP while a rollout runs and remembers the worst moment: the
/// fewest instances that answered in one round, and any answer from a process whose spec hash is not
/// the one its record claims (the demo service reports its own).
public actor ServingProbe {
    public init() {}

    public private(set) var rounds = 0
    public private(set) var fewestAnswering = Int.max
    public private(set) var mismatches: [String] = []
    private var running = true

    public func stop() { running = false }

    public func run(registry: any Registry, service: String) async {
        while running {
            let serving = ((try? await registry.instances(service: service)) ?? []).map(\.record)
                .filter { $0.state == .serving }
            var answering = 0
            for record in serving {
                guard let port = record.ports["http"],
                    let response = try? await LoopbackHTTP.get(port: port, path: "/", timeout: .seconds(2)),
                    response.status == 200
                else { continue }
                answering += 1
                if !response.body.contains(record.specHash.rawValue) {
                    mismatches.append("\(record.id) answered \(response.body)")
                }
            }
            rounds += 1
            fewestAnswering = min(fewestAnswering, answering)
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
