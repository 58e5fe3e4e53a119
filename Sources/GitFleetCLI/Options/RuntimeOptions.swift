import ArgumentParser
import FleetController
import FleetModel
import FleetRuntime

/// Which runtime `apply` and `plan` use: the process runtime over the state directory (the default), or
/// Docker Engine API hosts, so that images are pinned to the digests those hosts hold. The flags are the
/// `serve` settings of the same names, declared and parsed by the settings table.
struct RuntimeOptions: ParsableArguments {
    @OptionGroup var settings: SettingFlags<RuntimeSettings>

    /// The defaults with the runtime flags applied (``validate()`` has refused bad values).
    var configuration: ControllerConfiguration {
        var configuration = ControllerConfiguration(repository: "")
        try? configuration.apply(flags: settings.values)
        return configuration
    }

    var choice: RuntimeChoice { configuration.runtime }

    func validate() throws {
        var configuration = ControllerConfiguration(repository: "")
        do {
            try configuration.apply(flags: settings.values)
        } catch {
            throw ValidationError(error.description)
        }
        if configuration.runtime == .docker && configuration.dockerHosts.isEmpty {
            throw ValidationError("--runtime docker needs --docker-hosts")
        }
    }

    /// Sets the runtime settings of `configuration` to these options.
    func apply(to configuration: inout ControllerConfiguration) {
        try? configuration.apply(flags: settings.values)
    }

    /// The runtime these options name, over `stateDirectory`, in the scope of the registry there unless
    /// `--runtime-scope` names one.
    func makeRuntime(stateDirectory: String) throws -> any Runtime {
        let configuration = self.configuration
        return try configuration.runtime.makeRuntime(
            stateDirectory: stateDirectory, dockerHosts: configuration.dockerHosts, tls: configuration.dockerTLS,
            dockerConfigFile: configuration.dockerConfigFile,
            scope: configuration.runtimeScope
                ?? RuntimeScope.derived(
                    fromRegistry: ControllerConfiguration.embeddedRegistryIdentity(stateDirectory: stateDirectory)))
    }
}

/// The runtime's settings, as `apply` and `plan` take them.
enum RuntimeSettings: SettingSelection {
    static var keys: Set<String>? {
        [
            "runtime", "dockerHosts", "dockerCaFile", "dockerCertFile", "dockerKeyFile", "dockerConfigFile",
            "runtimeScope",
        ]
    }
}
