import FleetModel

/// Everything a runtime needs to start one instance. An instance is defined by `service` and `specHash`;
/// the runtime never changes one after start, the controller replaces it.
public struct InstanceLaunch: Hashable, Sendable {
    /// Unique and stable: the controller records it before starting, and finds the instance by it after a
    /// restart. Letters, digits, `.`, `_`, `-`; at most 128 characters; not starting with `.`.
    public var instanceID: String
    public var service: String
    public var specHash: SpecHash
    /// Must carry a digest (see ``Runtime/resolve(_:)``).
    public var image: ImageReference
    /// argv; empty runs the image's entrypoint. `$(NAME)` expands from the instance's environment
    /// (`$$(NAME)` is a literal `$(NAME)`); an unknown name is left as written.
    public var command: [String]
    public var env: [String: String]
    /// Named ports; 0 asks the runtime to allocate a free one.
    public var ports: [String: Int]
    public var resources: Resources
    /// Each captured output stream is kept to about this many bytes (the newest output wins).
    public var logLimit: Int
    /// Environment variables whose values are secrets. A runtime passes them to the instance like `env` but
    /// never writes them where others can read them, and never logs them.
    public var secretEnv: [String: SecretValue]
    /// Files with mode 0600, by absolute path: inside the container, or under the process runtime's instance
    /// root folder.
    public var secretFiles: [String: SecretValue]

    public init(
        instanceID: String,
        service: String,
        specHash: SpecHash,
        image: ImageReference,
        command: [String] = [],
        env: [String: String] = [:],
        ports: [String: Int] = [:],
        resources: Resources = Resources(),
        logLimit: Int = 10 << 20,
        secretEnv: [String: SecretValue] = [:],
        secretFiles: [String: SecretValue] = [:]
    ) {
        self.instanceID = instanceID
        self.service = service
        self.specHash = specHash
        self.image = image
        self.command = command
        self.env = env
        self.ports = ports
        self.resources = resources
        self.logLimit = logLimit
        self.secretEnv = secretEnv
        self.secretFiles = secretFiles
    }

    /// Whether `id` is usable as an instance id: it names a directory or a container, so it is kept to a
    /// portable alphabet.
    public static func isValidInstanceID(_ id: String) -> Bool {
        PortableName.isValid(id, maxLength: 128)
    }
}
