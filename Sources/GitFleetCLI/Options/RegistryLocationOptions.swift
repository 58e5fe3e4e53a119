import ArgumentParser
import FleetController
import FleetRegistry
import FleetRuntime
import Foundation
import Logging

/// Where a command finds the controller's registry and runtime: the controller's configuration (a file, or
/// `GITFLEET_*` variables that name a registry), or else the embedded state folder of a fleet repository.
struct RegistryLocationOptions: ParsableArguments {
    @Option(name: .long, help: "The fleet repository whose .gitfleet/ state directory to use (embedded default).")
    var repo: String = "."

    @OptionGroup var state: StateOptions

    @Option(
        name: .long,
        help: "A controller configuration file (as for serve): use the registry and runtime it names.")
    var config: String?

    @Option(
        name: .long,
        help: "The fleet the runtime acts for (default: as the controller derives it from its registry).")
    var runtimeScope: String?

    func validate() throws {
        if let runtimeScope, let problem = RuntimeScope.problem(runtimeScope) {
            throw ValidationError("--runtime-scope: \(problem)")
        }
    }

    /// The controller's configuration, when one is given; nil for the embedded default. `--state-dir` and
    /// `--runtime-scope` count as the flags of the same names.
    func controllerConfiguration() throws -> ControllerConfiguration? {
        guard config != nil || ProcessInfo.processInfo.environment["GITFLEET_REGISTRY"] != nil else { return nil }
        var flags: [String: String] = [:]
        flags["stateDir"] = state.stateDir
        flags["runtimeScope"] = runtimeScope
        return try ControllerConfiguration.load(file: config, flags: flags, requiringRepository: false)
    }

    /// The flags given that name a registry or runtime, for refusing them beside `--server`.
    var givenFlags: [String] {
        [
            state.stateDir.map { _ in "--state-dir" }, config.map { _ in "--config" },
            runtimeScope.map { _ in "--runtime-scope" }, repo == "." ? nil : "--repo",
        ].compactMap { $0 }
    }

    /// The scope of the runtime this command acts through.
    func resolvedRuntimeScope() throws -> String {
        try controllerConfiguration()?.resolvedRuntimeScope
            ?? runtimeScope
            ?? RuntimeScope.derived(
                fromRegistry: ControllerConfiguration.embeddedRegistryIdentity(stateDirectory: embeddedStateDirectory))
    }

    /// The embedded state folder: --state-dir, or .gitfleet/ in --repo.
    var embeddedStateDirectory: String {
        let base = repo.hasPrefix("/") ? repo : "\(FileManager.default.currentDirectoryPath)/\(repo)"
        return state.directory(default: "\(base)/.gitfleet")
    }

    /// The configuration whose registry and runtime the command opens (through `ControllerBootstrap`): the
    /// controller's, or the embedded default over the state folder. `mustExist` refuses an embedded state
    /// folder without a registry instead of creating one.
    func configuration(mustExist: Bool) throws -> ControllerConfiguration {
        if let configuration = try controllerConfiguration() {
            if configuration.registry == .sqlite {
                try requireRegistry(in: configuration.resolvedStateDirectory, mustExist: mustExist)
            }
            return configuration
        }
        let directory = embeddedStateDirectory
        try requireRegistry(in: directory, mustExist: mustExist)
        var configuration = ControllerConfiguration(repository: repo)
        configuration.stateDirectory = directory
        configuration.runtimeScope = runtimeScope
        return configuration
    }

    private func requireRegistry(in directory: String, mustExist: Bool) throws {
        if mustExist && !StateOptions.registryExists(in: directory) {
            Terminal.error("error: no registry in \(directory) (run 'gitfleet apply' first, or pass --state-dir)")
            throw CommandFailure()
        }
    }
}

extension ControllerBootstrap {
    /// ``withResources(_:logger:_:)`` for a command: a setting that stops the registry or runtime from opening
    /// is printed as an error naming it.
    static func forCommand<Result: Sendable>(
        _ configuration: ControllerConfiguration, _ body: (ControllerResources) async throws -> Result
    ) async throws -> Result {
        do {
            return try await withResources(configuration, logger: Logger(label: "gitfleet"), body)
        } catch let error as BootstrapError {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
    }
}
