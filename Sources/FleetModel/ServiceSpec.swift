/// The desired state of one service, as decoded and validated from a manifest with defaults applied.
///
/// Only some fields shape an instance (see ``SpecHash``); `replicas`, `rollout`, `drain`, `maxAge`,
/// `labels` and `dependsOn` say how many instances run and how they are replaced, not what they are.
public struct ServiceSpec: Hashable, Sendable, Codable {
    public var name: String
    public var labels: [String: String]
    public var image: ImageReference
    public var replicas: Int
    /// argv; `$(NAME)` expands to the instance's env and allocated ports at start. Empty: the image's entrypoint.
    public var command: [String]
    public var env: [String: String]
    /// Named ports; 0 asks the runtime to allocate one.
    public var ports: [String: Int]
    public var health: HealthCheck?
    public var resources: Resources
    public var rollout: RolloutPolicy
    public var drain: DrainPolicy
    /// Replace instances older than this ("phoenix" rotation). nil: never for age alone.
    public var maxAge: Duration?
    public var dependsOn: [String]
    /// Environment variables whose values are secrets, by reference (see ``SecretReference``); a name is
    /// never in both `env` and `secretEnv`. nil when there are none, so that a spec without secrets is
    /// stored and encoded exactly as before secrets existed.
    public var secretEnv: [String: SecretReference]?
    /// Secrets written into the instance as files with mode 0600; nil when there are none.
    public var secretFiles: [SecretFile]?
    /// Whether an instance may take traffic: gates a rollout like `health`, and a serving instance that fails it
    /// leaves discovery until it passes again, without being replaced. nil: `health` gates, and nothing is
    /// taken out of discovery alone.
    public var readiness: HealthCheck?
    /// Whether an instance still works: a ready or serving instance that fails it is replaced. nil: `health`.
    public var liveness: HealthCheck?

    public init(
        name: String,
        labels: [String: String] = [:],
        image: ImageReference,
        replicas: Int = 1,
        command: [String] = [],
        env: [String: String] = [:],
        ports: [String: Int] = [:],
        health: HealthCheck? = nil,
        resources: Resources = Resources(),
        rollout: RolloutPolicy = RolloutPolicy(),
        drain: DrainPolicy = DrainPolicy(),
        maxAge: Duration? = nil,
        dependsOn: [String] = [],
        secretEnv: [String: SecretReference]? = nil,
        secretFiles: [SecretFile]? = nil,
        readiness: HealthCheck? = nil,
        liveness: HealthCheck? = nil
    ) {
        self.name = name
        self.labels = labels
        self.image = image
        self.replicas = replicas
        self.command = command
        self.env = env
        self.ports = ports
        self.health = health
        self.resources = resources
        self.rollout = rollout
        self.drain = drain
        self.maxAge = maxAge
        self.dependsOn = dependsOn
        self.secretEnv = secretEnv?.isEmpty == true ? nil : secretEnv
        self.secretFiles = secretFiles?.isEmpty == true ? nil : secretFiles
        self.readiness = readiness
        self.liveness = liveness
    }
}

/// How the controller decides that an instance is healthy.
public struct HealthCheck: Hashable, Sendable, Codable {
    public enum Probe: Hashable, Sendable, Codable {
        /// A request for `path` on the named port, with `method` (nil: GET) and `headers`; an answer whose
        /// status is in one of `status`' ranges is healthy (nil: 2xx and 3xx). The optional fields are
        /// optional in the encoding too, so a spec stored before they existed still decodes.
        case http(
            path: String, port: String, method: String? = nil, headers: [String: String]? = nil,
            status: [ClosedRange<Int>]? = nil)
        /// A TCP connection to the named port is accepted.
        case tcp(port: String)
        /// argv run in the instance's environment exits 0.
        case exec(command: [String])
        /// grpc.health.v1.Health/Check on the named port (plaintext HTTP/2), for `service` (nil: the server as a
        /// whole); only SERVING is healthy.
        case grpc(port: String, service: String? = nil)
    }

    /// The methods an http probe may send.
    public static let httpMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    /// The statuses an http probe accepts when its spec names none: 2xx and 3xx, as always.
    public static let defaultHTTPStatus = [200...399]

    public var probe: Probe
    public var interval: Duration
    public var timeout: Duration
    /// Consecutive successes before an instance counts as healthy.
    public var healthyThreshold: Int
    /// Consecutive failures before a healthy instance counts as unhealthy.
    public var unhealthyThreshold: Int
    /// How long a new instance may take to become healthy before it has failed.
    public var startTimeout: Duration
    /// How often a new instance is probed until its first success (the startup phase), as the manifest gives it;
    /// nil: ``defaultStartupInterval``. Waiting a whole `interval` for the first look at an instance that is
    /// usually ready within milliseconds made every rollout wave that much longer (docs/manifest.md).
    public var startupInterval: Duration?

    /// The startup phase's interval when the manifest names none: 100 ms, or `interval` when that is shorter; an
    /// exec probe, which starts a process each time, keeps its `interval`.
    public static let defaultStartupInterval = Duration.milliseconds(100)

    /// How often a new instance is probed until its first success.
    public var effectiveStartupInterval: Duration {
        if let startupInterval { return startupInterval }
        if case .exec = probe { return interval }
        return min(interval, Self.defaultStartupInterval)
    }

    public init(
        probe: Probe,
        interval: Duration = .seconds(1),
        timeout: Duration = .seconds(1),
        healthyThreshold: Int = 1,
        unhealthyThreshold: Int = 3,
        startTimeout: Duration = .seconds(60),
        startupInterval: Duration? = nil
    ) {
        self.probe = probe
        self.interval = interval
        self.timeout = timeout
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
        self.startTimeout = startTimeout
        self.startupInterval = startupInterval
    }
}

/// Limits and identity an instance runs with. Part of the spec hash.
public struct Resources: Hashable, Sendable, Codable {
    /// CPU limit in cores (0.5 = half a core).
    public var cpu: Double?
    /// Memory limit in bytes.
    public var memory: Int64?
    /// User (name or uid[:gid]) the instance runs as.
    public var user: String?
    public var readOnlyRootFilesystem: Bool

    public init(cpu: Double? = nil, memory: Int64? = nil, user: String? = nil, readOnlyRootFilesystem: Bool = false) {
        self.cpu = cpu
        self.memory = memory
        self.user = user
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
    }
}

/// A whole count of instances or a percentage of `replicas` (`1`, `25%`), as Kubernetes writes maxSurge.
public enum InstanceCount: Hashable, Sendable, Codable, CustomStringConvertible {
    case count(Int)
    case percent(Int)

    /// Resolves against `replicas`; a surge rounds up, an unavailability rounds down (as Kubernetes does).
    public func resolved(replicas: Int, roundingUp: Bool) -> Int {
        switch self {
        case .count(let count): return count
        case .percent(let percent):
            let scaled = replicas * percent
            return roundingUp ? (scaled + 99) / 100 : scaled / 100
        }
    }

    public var description: String {
        switch self {
        case .count(let count): return "\(count)"
        case .percent(let percent): return "\(percent)%"
        }
    }
}

/// How a changed spec replaces the running instances.
public struct RolloutPolicy: Hashable, Sendable, Codable {
    public enum Strategy: String, Hashable, Sendable, Codable, CaseIterable {
        case rolling
        case blueGreen
        case canary
    }

    /// One canary step: run `weight` percent of the instances (and traffic) on the new spec, then wait: `pause`, or,
    /// for a gate (`pause: {}` in a manifest), until an operator promotes the rollout (or aborts it).
    public struct CanaryStep: Hashable, Sendable, Codable {
        public var weight: Int
        public var pause: Duration
        /// Whether the step waits for `gitfleet promote` instead of for `pause`, as Argo Rollouts' `pause: {}`.
        public var gate: Bool

        public init(weight: Int, pause: Duration, gate: Bool = false) {
            self.weight = weight
            self.pause = pause
            self.gate = gate
        }

        private enum CodingKeys: String, CodingKey { case weight, pause, gate }

        // Written by hand so that specs stored before gates existed (a last good spec in the registry) still decode,
        // and a step that is no gate encodes to the same bytes as it did then.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                weight: try container.decode(Int.self, forKey: .weight),
                pause: try container.decode(Duration.self, forKey: .pause),
                gate: try container.decodeIfPresent(Bool.self, forKey: .gate) ?? false)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(weight, forKey: .weight)
            try container.encode(pause, forKey: .pause)
            if gate { try container.encode(gate, forKey: .gate) }
        }
    }

    public var strategy: Strategy
    public var maxSurge: InstanceCount
    public var maxUnavailable: InstanceCount
    /// How long a new instance stays healthy before it counts as available.
    public var minReady: Duration
    /// A rollout that makes no progress for this long has failed.
    public var progressDeadline: Duration
    public var autoRollback: Bool
    /// blueGreen: how long the old set is kept after the switch, ready to switch back.
    public var scaleDownDelay: Duration
    /// canary: the steps, in order; an empty list means a single step to 100%.
    public var steps: [CanaryStep]

    public init(
        strategy: Strategy = .rolling,
        maxSurge: InstanceCount = .count(1),
        maxUnavailable: InstanceCount = .count(0),
        minReady: Duration = .zero,
        progressDeadline: Duration = .seconds(600),
        autoRollback: Bool = true,
        scaleDownDelay: Duration = .seconds(30),
        steps: [CanaryStep] = []
    ) {
        self.strategy = strategy
        self.maxSurge = maxSurge
        self.maxUnavailable = maxUnavailable
        self.minReady = minReady
        self.progressDeadline = progressDeadline
        self.autoRollback = autoRollback
        self.scaleDownDelay = scaleDownDelay
        self.steps = steps
    }
}

/// How an instance leaves service: deregister, wait `delay`, SIGTERM, wait `gracePeriod`, SIGKILL.
public struct DrainPolicy: Hashable, Sendable, Codable {
    public var delay: Duration
    public var gracePeriod: Duration

    public init(delay: Duration = .seconds(5), gracePeriod: Duration = .seconds(30)) {
        self.delay = delay
        self.gracePeriod = gracePeriod
    }
}

extension ServiceSpec {
    /// The check a new instance must pass before it takes traffic, and that a serving one must keep passing to
    /// stay in discovery: `readiness`, else `health`. nil: running is enough.
    public var readinessCheck: HealthCheck? { readiness ?? health }

    /// The check whose failure replaces a ready or serving instance: `liveness`, else `health`. nil: only an exit.
    public var livenessCheck: HealthCheck? { liveness ?? health }

    /// The liveness check when it is not the readiness check (nil when they are one: `health` alone, or the same
    /// check written twice). Then a failure of the one check both takes the instance out of discovery and
    /// replaces it, which is what `health` has always meant.
    public var separateLivenessCheck: HealthCheck? {
        livenessCheck == readinessCheck ? nil : livenessCheck
    }
}
