import Foundation

/// One Docker engine of a ``DockerRuntime`` and what the runtime has seen of its availability.
///
/// Availability is an observation, not rollout state: a new runtime object starts by assuming every host is
/// up and learns otherwise on its first call.
public final class DockerHost: Sendable {
    public let client: DockerEngineClient
    let availability = Availability()

    public var endpoint: DockerEndpoint { client.endpoint }

    public init(client: DockerEngineClient) {
        self.client = client
    }

    /// Since when the host has not answered (nil while it answers), and the last failure.
    final class Availability: @unchecked Sendable {
        private let lock = NSLock()
        private var downSince: Date?
        private var lastFailure: String?

        func answered() {
            lock.withLock {
                downSince = nil
                lastFailure = nil
            }
        }

        func failed(_ failure: String, at now: Date) {
            lock.withLock {
                if downSince == nil { downSince = now }
                lastFailure = failure
            }
        }

        var snapshot: (downSince: Date?, lastFailure: String?) { lock.withLock { (downSince, lastFailure) } }
    }
}

/// How one host of a ``DockerRuntime`` answers, for status pages and logs.
public struct DockerHostStatus: Hashable, Sendable, CustomStringConvertible {
    public var endpoint: DockerEndpoint
    /// When it stopped answering; nil while it answers.
    public var unreachableSince: Date?
    public var lastFailure: String?
    /// Whether it has been unreachable for longer than the runtime's `lostAfter`: its instances are then left
    /// out of the inventory, so the controller replaces them on the hosts that answer.
    public var instancesLost: Bool

    public var description: String {
        guard let unreachableSince else { return "\(endpoint): answering" }
        let state = instancesLost ? "instances lost" : "instances not yet counted lost"
        return "\(endpoint): not answering since \(unreachableSince) (\(state)): \(lastFailure ?? "")"
    }
}
