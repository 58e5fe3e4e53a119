import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation

extension Converger {
    func observe() async throws -> ObservedWorld {
        async let records = registry.instances(service: nil)
        async let rollouts = registry.rolloutStates()
        async let inventory = runtime.inventory()
        return ObservedWorld(
            records: Dictionary(
                try await records.map { ($0.record.id, $0.record) }, uniquingKeysWith: { _, last in last }),
            rolloutVersions: Dictionary(
                try await rollouts.map { ($0.record.service, $0) }, uniquingKeysWith: { _, last in last }),
            inventory: Dictionary(
                try await inventory.map { ($0.instanceID, $0) }, uniquingKeysWith: { _, last in last })
        )
    }

    /// Makes the registry and the runtime agree before any service is looked at (congruence):
    /// what runs without a record is removed, records whose instance is gone or has exited are
    /// failed and quarantined, and steps a crash interrupted are finished.
    func healDrift(_ world: inout ObservedWorld, now: Date) async throws {
        for instance in world.inventory.values.sorted(by: { $0.instanceID < $1.instanceID })
        where world.records[instance.instanceID] == nil {
            metrics?.recordDrift(service: instance.service, kind: "unknown_instance")
            await driftFound(
                service: instance.service, instance: instance.instanceID, kind: "unknown_instance",
                "\(instance.instanceID) runs without a record; removing it")
            try await confirmWriteAccess()
            _ = try? await runtime.stop(instanceID: instance.instanceID, gracePeriod: .seconds(10))
            try await runtime.destroy(instanceID: instance.instanceID, keepLogs: false)
            world.inventory[instance.instanceID] = nil
        }

        for record in world.records.values.sorted(by: { $0.id < $1.id }) {
            let instance = world.inventory[record.id]
            switch record.state {
            case .pending:
                if let instance {
                    // Started, but the controller stopped before it could say so.
                    var adopted = record
                    adopted.state = .starting
                    adopted.runtimeHandle = instance.handle
                    adopted.address = instance.address
                    adopted.ports = instance.ports
                    adopted.updatedAt = now
                    try await put(adopted, in: &world)
                } else {
                    // Intent written, never started: forget it; the rollout creates afresh if it still needs one.
                    try await delete(record.id, in: &world)
                }
            case .starting, .ready, .serving:
                guard let instance else {
                    metrics?.recordDrift(service: record.service, kind: "stale_record")
                    await driftFound(
                        service: record.service, instance: record.id, kind: "stale_record",
                        "\(record.id) is recorded \(record.state.rawValue) but gone from the runtime")
                    try await fail(record, reason: "the instance disappeared from the runtime", in: &world, now: now)
                    continue
                }
                if case .exited(let status) = instance.status {
                    metrics?.recordDrift(service: record.service, kind: "exited")
                    let exit = status.map { "\($0)" } ?? "exited"
                    await driftFound(
                        service: record.service, instance: record.id, kind: "exited",
                        "\(record.id) exited unexpectedly (\(exit))")
                    let reason = "exited unexpectedly (\(exit))\(await logTail(record.id))"
                    try await fail(record, reason: reason, in: &world, now: now)
                }
            case .draining:
                if instance == nil { try await delete(record.id, in: &world) }
            case .failed:
                try await quarantine(record, in: &world, now: now)
            case .stopped:
                if instance != nil {
                    try await confirmWriteAccess()
                    try await runtime.destroy(instanceID: record.id, keepLogs: false)
                }
                try await delete(record.id, in: &world)
            case .quarantined:
                break
            }
        }
    }

    /// Destroys quarantined instances past their retention, and the oldest beyond the per-service limit.
    func pruneQuarantine(_ world: inout ObservedWorld, now: Date) async throws {
        let quarantined = world.records.values.filter { $0.state == .quarantined }
        let byService = Dictionary(grouping: quarantined, by: \.service)
        let retention = TimeInterval(options.quarantineRetention.milliseconds) / 1000
        for (_, records) in byService {
            let newestFirst = records.sorted { ($0.updatedAt, $0.id) > ($1.updatedAt, $1.id) }
            for (index, record) in newestFirst.enumerated()
            where index >= options.quarantineLimit || now.timeIntervalSince(record.updatedAt) > retention {
                try await confirmWriteAccess()
                try await runtime.destroy(instanceID: record.id, keepLogs: false)
                CrashPoint.pass("quarantine pruned")
                try await delete(record.id, in: &world)
                await instanceDestroyed(record)
            }
        }
    }
}
