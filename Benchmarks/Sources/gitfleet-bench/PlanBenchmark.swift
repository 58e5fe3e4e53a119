import FleetModel
import FleetPlanner
import Foundation

/// (c) planning 10,000 services × 10 instances, and rendering the plan as text and JSON.
enum PlanBenchmark {
    static func run(services: Int, instances: Int, runs: Int) throws {
        print("== plan: \(services) services × \(instances) instances ==")
        print("load average at start: \(loadAverage())")
        let (fleet, observed) = makeState(services: services, instances: instances)
        print("observed records: \(observed.count); every 10th service has a new image (replace)")

        var planTimings = Timings(label: "Planner.plan          ")
        var textTimings = Timings(label: "plan.renderedText()   ")
        var jsonTimings = Timings(label: "plan.jsonData()       ")
        var togetherTimings = Timings(label: "plan + jsonData()     ")
        var plan: Plan? = nil
        for _ in 0..<runs {
            let (result, seconds) = timed { Planner.plan(desired: fleet, observed: observed) }
            planTimings.seconds.append(seconds)
            plan = result
            let (text, textSeconds) = timed { result.renderedText() }
            textTimings.seconds.append(textSeconds)
            let (json, jsonSeconds) = timed { result.jsonData() }
            jsonTimings.seconds.append(jsonSeconds)
            // `plan --json` as one step: what the plan-json row's target is about.
            let (together, togetherSeconds) = timed { Planner.plan(desired: fleet, observed: observed).jsonData() }
            togetherTimings.seconds.append(togetherSeconds)
            guard together == json else { throw BenchmarkFailure("two plans of the same state differ") }
            guard !text.isEmpty, !json.isEmpty else { throw BenchmarkFailure("empty rendering") }
        }
        guard let plan, plan.actions.count == services else { throw BenchmarkFailure("wrong number of actions") }
        let replaced = plan.actions.filter { $0.kind == .replace }.count
        guard replaced == services / 10 else { throw BenchmarkFailure("planned \(replaced) replacements") }
        print(planTimings.summary)
        print(textTimings.summary)
        print(jsonTimings.summary)
        print(togetherTimings.summary)
        print("target Planner.plan ≤ 100 ms median: \(verdict(planTimings.median <= 0.100))")
        let together = togetherTimings.median
        print("plan + JSON together: \(Timings.format(together)) — ≤ 100 ms: \(verdict(together <= 0.100))")
        ProcessMemory.report()
        print("load average at end: \(loadAverage())")
        BenchRow(
            id: "plan-json", benchmark: "`plan --json` of \(services.grouped) × \(instances)",
            measured: "plan + JSON \(Timings.format(together)) (plan \(Timings.format(planTimings.median)), JSON "
                + "\(Timings.format(jsonTimings.median)))",
            target: "≤ 100 ms together", met: together <= 0.100
        ).emit()
    }

    /// The desired fleet, and records for it in which every tenth service still runs the previous image.
    static func makeState(services: Int, instances: Int) -> (Fleet, [InstanceRecord]) {
        var specs: [ServiceSpec] = []
        var observed: [InstanceRecord] = []
        specs.reserveCapacity(services)
        observed.reserveCapacity(services * instances)
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        for index in 0..<services {
            let name = FixtureRepository.name(index)
            var spec = ServiceSpec(
                name: name, labels: ["team": "team-\(index % 50)"],
                image: ImageReference(repository: "registry.example.com/shop/\(name)", tag: "1.0.1"),
                replicas: instances, env: ["LOG_LEVEL": "info"], ports: ["http": 0],
                health: HealthCheck(probe: .http(path: "/healthz", port: "http")),
                dependsOn: index % 10 == 1 ? [FixtureRepository.name(index - 1)] : [])
            specs.append(spec)
            if index % 10 == 0 { spec.image.tag = "1.0.0" }
            let hash = SpecHash(spec)
            let image = spec.image.description
            for instance in 0..<instances {
                observed.append(
                    InstanceRecord(
                        id: "\(name)-\(instance)", service: name, specHash: hash, image: image, state: .serving,
                        address: "127.0.0.1", ports: ["http": 20_000 + instance], createdAt: created))
            }
        }
        return (Fleet(name: "bench", services: specs, revision: "0123456789abcdef0123456789abcdef01234567"), observed)
    }
}
