// swift-format-ignore-file: AlwaysUseLowerCamelCase
// The property names are the Engine API's JSON keys, spelled as the API spells them.

/// The parts of the Docker Engine API (v1.41, which Podman's compatible API serves too) that the runtime uses.
enum DockerWire {
    static let apiVersion = "v1.41"

    struct ImageInspect: Decodable {
        var Id: String
        var Config: ImageConfig?
    }

    struct ImageConfig: Decodable {
        var Env: [String]?
        var Entrypoint: [String]?
        var Cmd: [String]?
    }

    struct ContainerCreate: Encodable {
        var Image: String
        var Env: [String]
        var Entrypoint: [String]?
        var Cmd: [String]?
        var User: String?
        var Labels: [String: String]
        var ExposedPorts: [String: Empty]?
        var HostConfig: HostConfig
    }

    struct Empty: Codable {}

    struct HostConfig: Encodable {
        var NetworkMode: String
        var PortBindings: [String: [PortBinding]]?
        var Memory: Int64?
        var NanoCpus: Int64?
        var ReadonlyRootfs: Bool
        var LogConfig: LogConfig
        var RestartPolicy: RestartPolicy
    }

    struct PortBinding: Encodable {
        var HostIp: String
        var HostPort: String
    }

    struct LogConfig: Encodable {
        var `Type`: String
        var Config: [String: String]
    }

    struct RestartPolicy: Encodable {
        var Name: String
    }

    struct CreateResponse: Decodable {
        var Id: String
    }

    struct ContainerSummary: Decodable {
        var Id: String
        var Names: [String]?
        var Labels: [String: String]?
        var State: String?
        var Created: Int64?
    }

    struct ContainerInspect: Decodable {
        var Id: String
        var State: ContainerState
    }

    struct ContainerState: Decodable {
        var Status: String?
        var Running: Bool?
        var ExitCode: Int32?
        var OOMKilled: Bool?
    }

    struct ErrorMessage: Decodable {
        var message: String?
        var error: String?
        var cause: String?
    }

    struct ExecCreate: Encodable {
        var Cmd: [String]
        var AttachStdout: Bool
        var AttachStderr: Bool
    }

    struct ExecStart: Encodable {
        var Detach: Bool
        var Tty: Bool
    }

    struct ExecInspect: Decodable {
        var Running: Bool?
        var ExitCode: Int32?
        var Pid: Int32?
    }

    /// One line of `GET /events`.
    struct Event: Decodable {
        var `Type`: String?
        var Action: String?
        /// The action under its older name, which some engines send alone.
        var status: String?
        var Actor: EventActor?
        var time: Int64?
    }

    struct EventActor: Decodable {
        var ID: String?
        var Attributes: [String: String]?
    }
}
