import ArgumentParser
import FleetController
import FleetRegistry
import Foundation

/// `gitfleet retry SERVICE`: forgets that a service's specs failed, so the next reconcile tries the
/// desired spec again. Without it a failed spec stays rolled back until the spec changes in Git.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Allow a service's failed spec to be tried again at the next reconcile."
    )

    @Argument(help: "The service.")
    var service: String

    @OptionGroup var location: RegistryLocationOptions

    func run() async throws {
        try await ControllerBootstrap.forCommand(try location.configuration(mustExist: true)) { resources in
            try await retry(in: resources.registry)
        }
    }

    private func retry(in registry: any Registry) async throws {
        guard let stored = try await registry.rolloutState(service: service) else {
            Terminal.error("error: the registry has no rollout of '\(service)'")
            throw CommandFailure()
        }
        var state = stored.record
        // A new rollout of the desired spec, with a fresh progress deadline.
        guard let forgotten = state.retry(now: Date()) else {
            Terminal.out("\(service): no failed spec to retry")
            return
        }
        let failed = forgotten.map(\.short).sorted().joined(separator: ", ")
        // Compare-and-swap, so a controller that changed the state meanwhile is not overwritten.
        try await registry.commit([.putRolloutState(state, expecting: .version(stored.version))])
        Terminal.out("\(service): failed spec \(failed) will be tried again at the next reconcile")
    }
}
