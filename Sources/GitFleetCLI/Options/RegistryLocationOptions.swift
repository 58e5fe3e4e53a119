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
        return try ServeCommand.loadConfiguration(file: config, flags: flags, requiringRepository: false)
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

    /// The registry, and with etcd the election a writer must win first. `mustExist` refuses an embedded
    /// state folder without a registry instead of creating one.
    func openRegistry(mustExist: Bool) async throws -> (any Registry, LeaderElection?) {
        if let configuration = try controllerConfiguration(), configuration.registry == .etcd {
            return try await ServeCommand.openRegistry(configuration, logger: Logger(label: "gitfleet"))
        }
        let directory = try controllerConfiguration()?.resolvedStateDirectory ?? embeddedStateDirectory
        if mustExist && !StateOptions.registryExists(in: directory) {
            Terminal.error("error: no registry in \(directory) (run 'gitfleet apply' first, or pass --state-dir)")
            throw CommandFailure()
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return (try StateOptions.openRegistry(in: directory), nil)
    }

    /// The runtime the controller uses (release it with `RuntimeChoice.shutDown`).
    func runtime() throws -> any Runtime {
        guard let configuration = try controllerConfiguration() else {
            return ProcessRuntime(stateDirectory: embeddedStateDirectory, scope: try resolvedRuntimeScope())
        }
        return try configuration.makeRuntime()
    }
}
