import ArgumentParser
import FleetController
import FleetRegistry
import Foundation

/// `gitfleet logs SERVICE [INSTANCE]`: an instance's output — a live one's from the runtime, a failed or
/// quarantined one's as its registry record keeps it — so an operator can read why it failed on any host.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the output of a service's instances, including the kept output of failed ones.",
        discussion: """
            With INSTANCE, that instance's newest lines. Without, every instance the registry records for the \
            service, oldest first (by creation, then id), each line prefixed with the instance id and a space. \
            With --server URL the running controller is asked \
            (GET /api/v1/services/{name}/instances/{id}/logs), so no registry or runtime credentials are needed.
            """
    )

    @Argument(help: "The service.")
    var service: String

    @Argument(help: "One instance of the service (default: all of them).")
    var instance: String?

    @Option(name: .long, help: "How many of the newest lines to print, per instance (at most 10000).")
    var tail: Int = InstanceLogs.defaultTail

    @OptionGroup var location: RegistryLocationOptions
    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        guard (1...InstanceLogs.maximumTail).contains(tail) else {
            throw ValidationError("--tail: \(tail) is not a whole number from 1 to \(InstanceLogs.maximumTail)")
        }
        try serverOptions.refuseRegistryFlags(of: location)
    }

    func run() async throws {
        if let client = try serverOptions.client() {
            do {
                try await show(
                    instances: { try await client.instanceIDs(service: service) },
                    logs: { try await client.logs(service: service, instance: $0, tail: tail) })
            } catch let failure as ControllerClient.Failure {
                Terminal.error("error: \(failure)")
                throw CommandFailure()
            }
            return
        }
        try await ControllerBootstrap.forCommand(try location.configuration(mustExist: true)) { resources in
            do {
                try await show(
                    instances: {
                        let records = try await resources.registry.instances(service: service)
                        if records.isEmpty, try await resources.registry.rolloutState(service: service) == nil {
                            return nil
                        }
                        return records.map(\.record.id)
                    },
                    logs: {
                        try await InstanceLogs.read(
                            service: service, instance: $0, tail: tail, registry: resources.registry,
                            runtime: resources.runtime)
                    })
            } catch let error as RegistryError {
                Terminal.error("error: the registry cannot be read: \(error)")
                throw CommandFailure()
            } catch let error as InstanceLogs.Unreadable {
                Terminal.error("error: \(error)")
                throw CommandFailure()
            }
        }
    }

    /// The same output whether the controller or the registry and runtime were asked. `instances` lists the
    /// service's instance ids, oldest first, nil for an unknown service.
    private func show(
        instances: () async throws -> [String]?, logs: (String) async throws -> InstanceLogs.Answer
    ) async throws {
        guard instance == nil else {
            let id = instance ?? ""
            switch try await logs(id) {
            case .output(let text):
                Terminal.write(Data(text.utf8))
            case .serviceNotFound:
                Terminal.error("error: the registry has no service '\(service)'")
                throw CommandFailure()
            case .instanceNotFound:
                Terminal.error("error: service '\(service)' has no instance '\(id)'")
                throw CommandFailure()
            case .noOutput:
                Terminal.error("error: instance '\(id)' of '\(service)' was destroyed and its record keeps no output")
                throw CommandFailure()
            }
            return
        }
        guard let ids = try await instances() else {
            Terminal.error("error: the registry has no service '\(service)'")
            throw CommandFailure()
        }
        for id in ids {
            // An instance destroyed meanwhile, or one that kept nothing, has no lines to show.
            guard case .output(let text) = try await logs(id) else { continue }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(
                text.hasSuffix("\n") ? 1 : 0)
            let prefixed = lines.map { "\(id) \($0)\n" }.joined()
            Terminal.write(Data(prefixed.utf8))
        }
    }
}
