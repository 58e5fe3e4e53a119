import FleetModel
import FleetRuntime
import Foundation

/// Which ``Runtime`` the controller drives.
public enum RuntimeChoice: String, Sendable, Hashable, CaseIterable {
    /// Local processes from the image store in the state directory (``ProcessRuntime``).
    case process
    /// Containers on the Docker Engine API hosts of `dockerHosts` (``DockerRuntime``).
    case docker

    /// The runtime this choice names. A Docker runtime keeps the logs of destroyed instances under
    /// `<stateDirectory>/docker-evidence`; call its `close()` when done with it.
    public func makeRuntime(
        stateDirectory: String, dockerHosts: [String], tls: DockerEngineClient.TLSFiles? = nil
    ) throws -> any Runtime {
        switch self {
        case .process:
            return ProcessRuntime(stateDirectory: stateDirectory)
        case .docker:
            let endpoints = try dockerHosts.map { try DockerEndpoint(parsing: $0) }
            guard !endpoints.isEmpty else {
                throw RuntimeError(
                    .invalidLaunch, "runtime docker needs dockerHosts (for example unix:///var/run/docker.sock)")
            }
            return try DockerRuntime(
                endpoints: endpoints, tls: tls,
                options: .init(evidenceDirectory: "\(stateDirectory)/docker-evidence"))
        }
    }
}

extension ControllerConfiguration {
    /// The TLS files for Docker hosts, nil when none is set.
    public var dockerTLS: TLSFiles? {
        let files = TLSFiles(caFile: dockerCaFile, certificateFile: dockerCertFile, keyFile: dockerKeyFile)
        return files.isEmpty ? nil : files
    }

    /// The runtime this configuration asks for: the process runtime over `resolvedRuntimeDirectory` (which
    /// replicas on one host share), or Docker hosts keeping evidence there.
    public func makeRuntime() throws -> any Runtime {
        try runtime.makeRuntime(stateDirectory: resolvedRuntimeDirectory, dockerHosts: dockerHosts, tls: dockerTLS)
    }
}

extension ControllerSetting {
    static func runtimeChoice(_ key: String, _ summary: String) -> ControllerSetting {
        ControllerSetting(key: key, summary: summary) { configuration, value in
            guard let choice = RuntimeChoice(rawValue: value) else {
                return "'\(value)' is not a runtime (expected process or docker)"
            }
            configuration.runtime = choice
            return nil
        }
    }

    static func dockerHosts(_ key: String, _ summary: String) -> ControllerSetting {
        ControllerSetting(key: key, summary: summary, acceptsList: true) { configuration, value in
            do {
                configuration.dockerHosts = try DockerEndpoint.parseList(value).map(\.description)
            } catch let error as RuntimeError {
                return error.message
            } catch {
                return "\(error)"
            }
            return nil
        }
    }
}
