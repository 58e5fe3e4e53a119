import ArgumentParser
import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation

/// `gitfleet adopt`: rebuilds lost registry records from what the runtime runs, so a controller started on
/// an empty (or restored, older) registry keeps the running instances instead of treating them as drift.
///
/// Every running instance the registry has no record of is recorded as `starting`, with the service, spec
/// hash, image digest, address and ports the runtime knows; the next pass probes it and serves it again,
/// and replaces it create-before-destroy only if the desired spec differs. With the etcd registry it first
/// wins the leader election, so it never writes beside a running controller.
struct AdoptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Record the running instances the registry has lost (disaster recovery), without touching them.")

    @OptionGroup var location: RegistryLocationOptions
    @OptionGroup var logging: LoggingOptions

    @Flag(name: .long, help: "Only list what would be recorded.")
    var dryRun = false

    func run() async throws {
        logging.bootstrap()
        try await ControllerBootstrap.forCommand(try location.configuration(mustExist: false)) { resources in
            do {
                try await adopt(
                    registry: resources.registry, runtime: resources.runtime, election: resources.leadership)
            } catch {
                await resources.leadership?.resign()
                throw error
            }
            await resources.leadership?.resign()
        }
    }

    private func adopt(registry: any Registry, runtime: any Runtime, election: LeaderElection?) async throws {
        if let election {
            await election.start()
            await election.step()
            guard await election.isLeader else {
                let holder: String
                if case .follower(let leader?) = await election.role { holder = "'\(leader)'" } else { holder = "?" }
                Terminal.error(
                    "error: a controller leads this fleet (\(holder)); it keeps the registry itself."
                        + " Stop every controller before adopting. \(await election.problem ?? "")")
                throw CommandFailure()
            }
        }
        let recorded = Set(try await registry.instances(service: nil).map(\.record.id))
        // The inventory holds this fleet's scope only: instances of other fleets on the host are never adopted.
        let inventory = try await runtime.inventory().sorted { $0.instanceID < $1.instanceID }
        let now = Date()
        var adopted: [InstanceRecord] = []
        for instance in inventory where !recorded.contains(instance.instanceID) {
            guard instance.status.isRunning else {
                Terminal.out("skipped \(instance.instanceID) (\(instance.service)): \(instance.status)")
                continue
            }
            adopted.append(
                InstanceRecord(
                    id: instance.instanceID, service: instance.service, specHash: instance.specHash,
                    image: instance.image.description, state: .starting, address: instance.address,
                    ports: instance.ports, runtimeHandle: instance.handle, createdAt: now,
                    reason: "adopted from the runtime inventory"))
        }
        for record in adopted {
            Terminal.out("\(dryRun ? "would adopt" : "adopted") \(record.id) (\(record.service)) \(record.image)")
        }
        if !dryRun {
            for start in stride(from: 0, to: adopted.count, by: RegistryChange.maximumPerCommit) {
                let chunk = adopted[start..<min(start + RegistryChange.maximumPerCommit, adopted.count)]
                try await registry.commit(chunk.map { .putInstance($0, expecting: .absent) })
            }
        }
        let services = Set(adopted.map(\.service)).count
        Terminal.out("runtime scope: \(try location.resolvedRuntimeScope())")
        Terminal.out(
            "\(adopted.count) instance(s) of \(services) service(s) \(dryRun ? "would be" : "were") recorded;"
                + " \(inventory.count - adopted.count) already recorded or not running.")
    }
}
