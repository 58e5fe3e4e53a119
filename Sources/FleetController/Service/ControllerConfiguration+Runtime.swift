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
        stateDirectory: String, dockerHosts: [String], tls: DockerEngineClient.TLSFiles? = nil,
        dockerConfigFile: String? = nil, scope: String
    ) throws -> any Runtime {
        if let problem = RuntimeScope.problem(scope) { throw RuntimeError(.invalidLaunch, problem) }
        switch self {
        case .process:
            return ProcessRuntime(stateDirectory: stateDirectory, scope: scope)
        case .docker:
            let endpoints = try dockerHosts.map { try DockerEndpoint(parsing: $0) }
            guard !endpoints.isEmpty else {
                throw RuntimeError(
                    .invalidLaunch, "runtime docker needs dockerHosts (for example unix:///var/run/docker.sock)")
            }
            return try DockerRuntime(
                endpoints: endpoints, tls: tls,
                options: .init(
                    scope: scope, evidenceDirectory: "\(stateDirectory)/docker-evidence",
                    registryConfig: dockerConfigFile.map(DockerConfigFile.init(path:))))
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
        try runtime.makeRuntime(
            stateDirectory: resolvedRuntimeDirectory, dockerHosts: dockerHosts, tls: dockerTLS,
            dockerConfigFile: dockerConfigFile, scope: resolvedRuntimeScope)
    }

    /// Runtime settings that cannot be used: a `dockerConfigFile` that cannot be read or holds a bad entry,
    /// found at start rather than at the first pull. The file is read again on every pull, so a rotation that
    /// breaks it later fails those pulls (and their rollouts) with the same located message.
    /// `sources` says where each setting was given, to name that place.
    func runtimeProblems(sources: [String: String]) -> [Problem] {
        guard let dockerConfigFile else { return [] }
        do {
            _ = try DockerConfigFile(path: dockerConfigFile).credentials()
            return []
        } catch {
            return [Problem(source: sources["dockerConfigFile"] ?? "dockerConfigFile", message: error.located)]
        }
    }

    /// The runtime scope: configured, or derived from the registry, whose records say which instances are
    /// this fleet's: `sqlite:<state directory>` for the embedded registry (one controller, one folder),
    /// `etcd:<prefix>` for etcd (replicas share it, other fleets on the same etcd need their own prefix).
    /// Stable across restarts and upgrades as long as the registry stays where it is.
    public var resolvedRuntimeScope: String {
        runtimeScope ?? RuntimeScope.derived(fromRegistry: registryIdentity)
    }

    /// What names the registry this configuration uses, for ``resolvedRuntimeScope``.
    public var registryIdentity: String {
        switch registry {
        case .sqlite: return ControllerConfiguration.embeddedRegistryIdentity(stateDirectory: resolvedStateDirectory)
        case .etcd: return "etcd:\(etcdPrefix)"
        }
    }

    /// The registry identity of the embedded SQLite registry in `stateDirectory` (an absolute path), which
    /// `apply`, `status` and `adopt` use without a controller configuration.
    public static func embeddedRegistryIdentity(stateDirectory: String) -> String {
        "sqlite:\(absolute(stateDirectory))"
    }
}

extension SettingType where Value == String {
    /// A runtime scope: 1-63 letters, digits, `.`, `_` or `-`.
    static var runtimeScope: Self {
        Self(
            name: "scope",
            parse: { text in
                if let problem = RuntimeScope.problem(text) { return .failure(SettingValueProblem(problem)) }
                return .success(text)
            },
            format: { $0 })
    }
}

extension SettingType where Value == [String] {
    /// Docker Engine API hosts, comma-separated (also a YAML list): `unix:///path.sock`, `tcp://host:port`.
    static var dockerHosts: Self {
        var hosts = Self(
            name: "hosts",
            parse: { text in
                do {
                    return .success(try DockerEndpoint.parseList(text).map(\.description))
                } catch let error as RuntimeError {
                    return .failure(SettingValueProblem(error.message))
                } catch {
                    return .failure(SettingValueProblem("\(error)"))
                }
            }, format: { $0.isEmpty ? nil : $0.joined(separator: ",") })
        hosts.acceptsList = true
        return hosts
    }
}
