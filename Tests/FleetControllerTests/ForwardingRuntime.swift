import FleetModel
import FleetRuntime

/// A runtime that passes every call to `base`: tests subclass it and override what they watch or change.
class ForwardingRuntime: Runtime, @unchecked Sendable {
    let base: any Runtime

    init(base: any Runtime) {
        self.base = base
    }

    func resolve(_ image: ImageReference) async throws -> ImageReference { try await base.resolve(image) }
    func start(_ launch: InstanceLaunch) async throws -> RuntimeInstance { try await base.start(launch) }
    func stop(instanceID: String, gracePeriod: Duration) async throws -> FleetRuntime.ExitStatus? {
        try await base.stop(instanceID: instanceID, gracePeriod: gracePeriod)
    }
    func destroy(instanceID: String, keepLogs: Bool) async throws {
        try await base.destroy(instanceID: instanceID, keepLogs: keepLogs)
    }
    func inventory() async throws -> [RuntimeInstance] { try await base.inventory() }
    func logs(instanceID: String, tail lines: Int) async throws -> String {
        try await base.logs(instanceID: instanceID, tail: lines)
    }
    func exec(instanceID: String, command: [String], timeout: Duration) async throws -> CommandResult {
        try await base.exec(instanceID: instanceID, command: command, timeout: timeout)
    }
    var probeClient: ProbeClient { base.probeClient }
    func exits() -> AsyncStream<InstanceExit> { base.exits() }
    func close() async { await base.close() }
}
