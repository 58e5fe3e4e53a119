// Synchronous drivers for valgrind --tool=callgrind (which cannot follow the async entry point of
// gitfleet-bench). Usage:
//   profile-load <repository> <commit>                      one cold load
//   profile-load reload <repository> <commit> <commit>...   a cold load of the first, then reloads of the
//                                                           rest; collect only the reloads with
//                                                           --collect-atstart=no --toggle-collect='*reloadCommits*'
//   profile-load plan [services] [instances]               Planner.plan over generated state; collect with
//                                                           --collect-atstart=no --toggle-collect='*planOnce*'
import FleetController
import FleetGit
import FleetModel
import FleetPlanner
import Foundation

@inline(never)
func reloadCommits(_ source: DesiredStateSource, _ commits: [CommitID]) throws -> Int {
    var total = 0
    for commit in commits { total += try source.fleet(at: commit).services.count }
    return total
}

@inline(never)
func planOnce(_ fleet: Fleet, _ observed: [InstanceRecord]) -> Int {
    Planner.plan(desired: fleet, observed: observed).actions.count
}

func planState(services: Int, instances: Int) -> (Fleet, [InstanceRecord]) {
    var specs: [ServiceSpec] = []
    var observed: [InstanceRecord] = []
    let created = Date(timeIntervalSince1970: 1_700_000_000)
    for index in 0..<services {
        let name = "svc-" + String(repeating: "0", count: max(0, 5 - String(index).count)) + String(index)
        var spec = ServiceSpec(
            name: name, labels: ["team": "team-\(index % 50)"],
            image: ImageReference(repository: "registry.example.com/shop/\(name)", tag: "1.0.1"),
            replicas: instances, env: ["LOG_LEVEL": "info"], ports: ["http": 0],
            health: HealthCheck(probe: .http(path: "/healthz", port: "http")),
            dependsOn: index % 10 == 1 ? [specs[index - 1].name] : [])
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

let arguments = CommandLine.arguments
switch arguments.dropFirst().first {
case "plan":
    let services = arguments.count > 2 ? Int(arguments[2]) ?? 10_000 : 10_000
    let instances = arguments.count > 3 ? Int(arguments[3]) ?? 10 : 10
    let (fleet, observed) = planState(services: services, instances: instances)
    print("\(planOnce(fleet, observed)) actions")
case "reload":
    guard arguments.count >= 4 else { fatalError("usage: profile-load reload <repository> <commit> <commit>...") }
    let commits = arguments.dropFirst(3).map { CommitID(hex: $0)! }
    let source = DesiredStateSource(repository: try GitRepository.open(at: arguments[2]))
    _ = try source.fleet(at: commits[0])
    print("\(try reloadCommits(source, Array(commits.dropFirst()))) services over the reloads")
default:
    guard arguments.count >= 3, let commit = CommitID(hex: arguments[2]) else {
        fatalError("usage: profile-load <repository> <commit>")
    }
    let repository = try GitRepository.open(at: arguments[1])
    let fleet = try DesiredStateSource(repository: repository).fleet(at: commit)
    print("\(fleet.services.count) services")
}
