import ArgumentParser
import FleetController
import FleetRegistry
import Foundation

/// `gitfleet retry SERVICE`: forgets that a service's specs failed, so the next reconcile tries the
/// desired spec again. Without it a failed spec stays rolled back until the spec changes in Git.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Allow a service's failed spec to be tried again at the next reconcile.",
        discussion: """
            With --server URL the running controller does it (POST /api/v1/services/{name}/retry), so no \
            registry credentials are needed; otherwise the registry named by --state-dir or --config is written.
            """
    )

    @Argument(help: "The service.")
    var service: String

    @OptionGroup var location: RegistryLocationOptions
    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        try serverOptions.refuseRegistryFlags(of: location)
    }

    func run() async throws {
        if let client = try serverOptions.client() {
            let outcome: RolloutRetry.Outcome
            do {
                outcome = try await client.retry(service: service)
            } catch let failure as ControllerClient.Failure {
                Terminal.error("error: \(failure)")
                throw CommandFailure()
            }
            try report(outcome)
            return
        }
        let outcome = try await ControllerBootstrap.forCommand(try location.configuration(mustExist: true)) {
            resources in
            // Compare-and-swap, so a controller that changed the state meanwhile is not overwritten.
            try await RolloutRetry.retry(service: service, in: resources.registry, now: Date())
        }
        try report(outcome)
    }

    /// The same lines whether the registry or the controller was asked.
    private func report(_ outcome: RolloutRetry.Outcome) throws {
        switch outcome {
        case .retried(let specs):
            let failed = specs.map(\.short).joined(separator: ", ")
            Terminal.out("\(service): failed spec \(failed) will be tried again at the next reconcile")
        case .nothingFailed:
            Terminal.out("\(service): no failed spec to retry")
        case .unknownService:
            Terminal.error("error: the registry has no rollout of '\(service)'")
            throw CommandFailure()
        case .notLeader(let leader):
            Terminal.error(
                "error: the controller stands by; ask the one that leads\(leader.map { " (\($0))" } ?? "")")
            throw CommandFailure()
        }
    }
}
