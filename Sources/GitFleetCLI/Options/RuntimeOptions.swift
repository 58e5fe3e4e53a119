import ArgumentParser
import FleetController
import FleetModel
import FleetRuntime

/// Which runtime `apply` and `plan` use: the process runtime over the state directory (the default), or
/// Docker Engine API hosts, so that images are pinned to the digests those hosts hold.
struct RuntimeOptions: ParsableArguments {
    @Option(name: .long, help: "Where instances run: process or docker (default process).")
    var runtime: String = RuntimeChoice.process.rawValue

    @Option(name: .long, help: "Docker Engine API hosts, comma-separated (unix:///path.sock, tcp://host:port).")
    var dockerHosts: String?

    @Option(name: .long, help: "The CA certificate for Docker hosts' TLS.")
    var dockerCaFile: String?

    @Option(name: .long, help: "The client certificate for Docker hosts.")
    var dockerCertFile: String?

    @Option(name: .long, help: "The private key of --docker-cert-file.")
    var dockerKeyFile: String?

    var choice: RuntimeChoice { RuntimeChoice(rawValue: runtime) ?? .process }

    func validate() throws {
        guard let choice = RuntimeChoice(rawValue: runtime) else {
            throw ValidationError("--runtime takes process or docker, not '\(runtime)'")
        }
        if choice == .docker {
            guard let dockerHosts, !dockerHosts.isEmpty else {
                throw ValidationError("--runtime docker needs --docker-hosts")
            }
            do {
                _ = try DockerEndpoint.parseList(dockerHosts)
            } catch let error as RuntimeError {
                throw ValidationError(error.message)
            }
        }
    }

    /// Sets the runtime settings of `configuration` to these options.
    func apply(to configuration: inout ControllerConfiguration) {
        configuration.runtime = choice
        configuration.dockerHosts = (dockerHosts ?? "").split(separator: ",").map(String.init)
        configuration.dockerCaFile = dockerCaFile
        configuration.dockerCertFile = dockerCertFile
        configuration.dockerKeyFile = dockerKeyFile
    }

    /// The runtime these options name, over `stateDirectory`.
    func makeRuntime(stateDirectory: String) throws -> any Runtime {
        let tls = TLSFiles(caFile: dockerCaFile, certificateFile: dockerCertFile, keyFile: dockerKeyFile)
        return try choice.makeRuntime(
            stateDirectory: stateDirectory,
            dockerHosts: (dockerHosts ?? "").split(separator: ",").map(String.init), tls: tls.isEmpty ? nil : tls)
    }
}
