import FleetModel
import Foundation

/// One instance as a runtime observes it.
public struct RuntimeInstance: Hashable, Sendable {
    public enum Status: Hashable, Sendable, CustomStringConvertible {
        case running
        /// Gone; how it ended when the runtime could observe it (nil after a controller restart, when the
        /// process was not its child to wait for).
        case exited(ExitStatus?)
        /// The runtime has a record but cannot tell (a start interrupted before the process was recorded).
        case unknown

        public var isRunning: Bool { self == .running }

        public var description: String {
            switch self {
            case .running: return "running"
            case .exited(let status?): return "exited (\(status))"
            case .exited(nil): return "exited"
            case .unknown: return "unknown"
            }
        }
    }

    public var instanceID: String
    public var service: String
    public var specHash: SpecHash
    /// The pinned image it runs.
    public var image: ImageReference
    /// The runtime's own name for it: a pid, a container id.
    public var handle: String
    /// Host or IP clients reach it on.
    public var address: String
    /// Named ports, with allocated ones filled in.
    public var ports: [String: Int]
    public var status: Status
    public var startedAt: Date

    public init(
        instanceID: String,
        service: String,
        specHash: SpecHash,
        image: ImageReference,
        handle: String,
        address: String,
        ports: [String: Int],
        status: Status,
        startedAt: Date
    ) {
        self.instanceID = instanceID
        self.service = service
        self.specHash = specHash
        self.image = image
        self.handle = handle
        self.address = address
        self.ports = ports
        self.status = status
        self.startedAt = startedAt
    }
}

/// How a process ended.
public enum ExitStatus: Hashable, Sendable, Codable, CustomStringConvertible {
    case exited(code: Int32)
    case signaled(signal: Int32)

    public var isSuccess: Bool { self == .exited(code: 0) }

    public var description: String {
        switch self {
        case .exited(let code): return "exit code \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        }
    }
}

/// How a short command (an exec probe) ended, with the tail of what it printed.
public struct CommandResult: Hashable, Sendable {
    /// nil when it had to be killed because the timeout passed.
    public var status: ExitStatus?
    public var timedOut: Bool
    /// The last few KiB of its combined stdout and stderr.
    public var output: String

    public init(status: ExitStatus?, timedOut: Bool, output: String) {
        self.status = status
        self.timedOut = timedOut
        self.output = output
    }
}
