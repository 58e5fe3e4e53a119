import ArgumentParser
import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import Logging

/// `gitfleet apply`: converges the fleet to a revision once, on the embedded default (SQLite
/// registry, process runtime), and exits 0 when converged, 1 when it failed or timed out.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Converge the fleet to a revision by replacing instances; exit 0 when converged."
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var runtimeOptions: RuntimeOptions
    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: "Give up after this long (a duration such as 90s or 15m).")
    var timeout: String = "15m"

    /// `--discovery-outputs` and `--discovery-reload-command`, the `serve` settings of the same names.
    @OptionGroup var discoverySettings: SettingFlags<DiscoverySettings>

    func validate() throws {
        if case .failure(let problem) = SettingType.duration.value(of: timeout) {
            throw ValidationError("--timeout: \(problem.message)")
        }
        _ = try discovery()
    }

    /// The discovery publisher's configuration, when outputs or a reload command are given.
    func discovery() throws -> DiscoveryPublisher.Configuration? {
        guard !discoverySettings.values.isEmpty else { return nil }
        var configuration = ControllerConfiguration(repository: "")
        do {
            try configuration.apply(flags: discoverySettings.values)
        } catch {
            throw ValidationError(error.description)
        }
        return configuration.discovery
    }

    func run() async throws {
        logging.bootstrap()
        let fleet = try DesiredStateLoading.load(repository, secretsRequired: true)
        let secrets = try repository.secretSource()
        var configuration = ControllerConfiguration(repository: repository.repo)
        configuration.stateDirectory = state.directory(default: repository.defaultStateDirectory)
        runtimeOptions.apply(to: &configuration)
        let discovery = try discovery()
        let timeout = try SettingType.duration.value(of: timeout).get()
        let report = try await ControllerBootstrap.forCommand(configuration) { resources in
            let pinned: Fleet
            do {
                pinned = try await ImagePinning.pin(fleet, with: resources.runtime)
            } catch {
                Terminal.error("error: images cannot be pinned; nothing was changed:\n\(error)")
                throw CommandFailure()
            }
            let display = ProgressDisplay(interactive: Terminal.isInteractive)
            // The converger's events (rollouts, failures, drift) reach the log through an event log of their own.
            let logger = Logger(label: "gitfleet")
            let events = EventLog(logger: logger.part("events"))
            let converger = Converger(
                registry: resources.registry, runtime: resources.runtime,
                discovery: discovery.map {
                    .init(configuration: $0, events: events, logger: logger.part("discovery"))
                },
                events: events, logger: logger.part("converger"), secrets: secrets)
            return try await converger.converge(pinned, timeout: timeout, progress: { display.update($0) })
        }

        var failed = false
        for service in report {
            if let reason = service.phase.failureReason {
                Terminal.error("\(service.service): \(ProgressDisplay.describe(service.phase)): \(reason)")
                failed = true
            } else if !service.phase.isSettled {
                Terminal.error("\(service.service): not converged within \(timeout)")
                failed = true
            }
        }
        let revision = fleet.revision.map { String($0.prefix(12)) } ?? "?"
        if failed { throw CommandFailure() }
        Terminal.out("fleet '\(fleet.name)' converged at \(revision)")
    }
}

/// The discovery settings `apply` takes: it keeps the same files up to date as the controller would.
enum DiscoverySettings: SettingSelection {
    static var keys: Set<String>? { ["discoveryOutputs", "discoveryReloadCommand"] }
}
