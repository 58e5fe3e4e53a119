import FleetModel

/// Where and how an ``EtcdRegistry`` reaches etcd, and under which keys it keeps its records.
public struct EtcdConfiguration: Sendable, Hashable {
    /// Client URLs (`http://host:2379`, `https://…`), tried in order whenever one cannot be connected to.
    public var endpoints: [String]
    /// The key prefix of every record: instances live at `<prefix>/instances/<id>`, rollout states at
    /// `<prefix>/rollouts/<service>`. Several fleets can share one etcd with different prefixes.
    public var prefix: String
    /// etcd user name and password; when set, the registry authenticates and sends the token with each call.
    public var credentials: Credentials?
    /// TLS files for `https` endpoints; `nil` uses the system's trust roots and no client certificate.
    public var tls: TLSFiles?
    /// The leader fence: when set, every commit also requires `key` to still have this `create_revision`,
    /// so a controller that lost its leader key (and whoever created the key anew) can no longer write.
    public var fence: Fence?
    /// How long one HTTP call may take before the endpoint counts as unreachable.
    public var requestTimeout: Duration
    /// How long connecting to one endpoint may take before the next one is tried.
    public var connectTimeout: Duration

    public struct Credentials: Sendable, Hashable {
        public var username: String
        public var password: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    /// PEM files for `https` endpoints: the CA of etcd's server certificates, and the client certificate and
    /// key for etcd's `--client-cert-auth`.
    public typealias TLSFiles = FleetModel.TLSFiles

    public struct Fence: Sendable, Hashable {
        /// The full etcd key (no prefix is added).
        public var key: String
        /// The `create_revision` the key had when this process became leader.
        public var createRevision: Int64

        public init(key: String, createRevision: Int64) {
            self.key = key
            self.createRevision = createRevision
        }
    }

    public init(
        endpoints: [String], prefix: String = "/gitfleet", credentials: Credentials? = nil, tls: TLSFiles? = nil,
        fence: Fence? = nil, requestTimeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(3)
    ) {
        self.endpoints = endpoints
        self.prefix = prefix
        self.credentials = credentials
        self.tls = tls
        self.fence = fence
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
    }
}
