import Foundation

/// Where an instance is in its life. The happy path is
/// `pending → starting → ready → serving → draining → stopped`; a failed instance goes
/// `failed → quarantined` and is kept with its logs for a while as evidence.
public enum InstanceState: String, Hashable, Sendable, Codable, CaseIterable {
    /// Recorded (intent written) but not yet started in the runtime.
    case pending
    /// Started; not yet healthy.
    case starting
    /// Healthy, but not published to clients: a new blueGreen instance waiting for the switch, or an
    /// old one kept after it, ready to switch back.
    case ready
    /// In the serving set: discovery publishes it.
    case serving
    /// Out of the serving set; being stopped.
    case draining
    /// Stopped and destroyed in the runtime; the record stays for history until pruned.
    case stopped
    /// Failed to start, failed health or exited; out of service.
    case failed
    /// Failed and kept, stopped, with its logs, as evidence.
    case quarantined

    /// States of an instance that exists (or is about to) and counts toward the service's footprint.
    public var isLive: Bool {
        switch self {
        case .pending, .starting, .ready, .serving, .draining: return true
        case .stopped, .failed, .quarantined: return false
        }
    }
}

/// The live registry's record of one instance the controller created.
public struct InstanceRecord: Hashable, Sendable, Codable, Identifiable {
    public var id: String
    public var service: String
    public var specHash: SpecHash
    /// The commit whose desired state the instance was created for.
    public var revision: String?
    /// The image it runs, pinned to a digest once resolved.
    public var image: String
    public var state: InstanceState
    /// Host or IP clients reach it on.
    public var address: String?
    public var ports: [String: Int]
    /// The runtime's own name for it (a pid, a container id).
    public var runtimeHandle: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// Why it is in its state, when that needs saying (a failed probe, an exit status).
    public var reason: String?
    /// The newest part of its output, kept with the record when it failed (at most
    /// ``InstanceRecord/keptOutputLimit`` bytes), so whichever controller answers — a standby, a new leader
    /// on another host — can show why it failed, not only the one whose runtime held it.
    public var keptOutput: String?

    /// The cap on ``keptOutput``, in bytes of UTF-8: enough lines to explain a failure, small enough that a
    /// registry holding the service's kept quarantined instances stays far below etcd's request limit.
    public static let keptOutputLimit = 64 * 1024

    public init(
        id: String,
        service: String,
        specHash: SpecHash,
        revision: String? = nil,
        image: String,
        state: InstanceState,
        address: String? = nil,
        ports: [String: Int] = [:],
        runtimeHandle: String? = nil,
        createdAt: Date,
        updatedAt: Date? = nil,
        reason: String? = nil,
        keptOutput: String? = nil
    ) {
        self.id = id
        self.service = service
        self.specHash = specHash
        self.revision = revision
        self.image = image
        self.state = state
        self.address = address
        self.ports = ports
        self.runtimeHandle = runtimeHandle
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.reason = reason
        self.keptOutput = keptOutput
    }

    /// Whether discovery publishes the instance to clients (load balancer upstreams, etcd endpoint keys).
    /// Every output of the serving set is derived from this one property.
    public var isPublished: Bool { state == .serving && address != nil }
}
