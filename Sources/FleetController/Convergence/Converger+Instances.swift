import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import Logging

/// The journaled steps of an instance's life. Each writes the registry first, then touches the runtime.
extension Converger {
    func put(_ record: InstanceRecord, in world: inout ObservedWorld) async throws {
        let before = world.records[record.id]?.state
        try await registry.commit([.putInstance(record)])
        world.set(record)
        pacing.changed = true
        await instanceChanged(from: before, to: record)
    }

    func delete(_ id: String, in world: inout ObservedWorld) async throws {
        try await registry.commit([.deleteInstance(id: id)])
        world.remove(id)
        drainClock[id] = nil
        pacing.changed = true
    }

    /// Confirms, with a commit that writes nothing, that this controller may still change the fleet,
    /// before it stops or destroys anything that no write of this pass has just journaled: on a fenced
    /// registry a deposed leader is refused here, and with the registry unreachable nothing is destroyed.
    func confirmWriteAccess() async throws {
        try await registry.commit([])
    }

    /// Records a new instance of `spec`, starts it, and records that it is starting.
    func create(_ spec: ServiceSpec, specHash: SpecHash, revision: String?, in world: inout ObservedWorld, now: Date)
        async throws
    {
        let id = InstanceID.make(service: spec.name, specHash: specHash)
        var record = InstanceRecord(
            id: id, service: spec.name, specHash: specHash, revision: revision, image: spec.image.description,
            state: .pending, createdAt: now)
        try await put(record, in: &world)
        CrashPoint.pass("instance recorded pending")
        counters[spec.name, default: (0, 0)].created += 1

        var launch = InstanceLaunch(
            instanceID: id, service: spec.name, specHash: specHash, image: spec.image, command: spec.command,
            env: spec.env, ports: spec.ports, resources: spec.resources)
        do {
            if !spec.secretReferences.isEmpty {
                guard let secrets else {
                    throw SecretError(
                        .notConfigured, "the spec refers to secrets but no secretIdentityFile is set")
                }
                (launch.secretEnv, launch.secretFiles) = try await secrets.values(for: spec)
            }
            let instance = try await runtime.start(launch)
            world.inventory[id] = instance
            CrashPoint.pass("instance started")
            record.state = .starting
            record.runtimeHandle = instance.handle
            record.address = instance.address
            record.ports = instance.ports
            record.updatedAt = clock.wallTime
            try await put(record, in: &world)
            CrashPoint.pass("instance recorded starting")
        } catch {
            try await fail(record, reason: "could not start: \(error)", in: &world, now: now)
        }
    }

    /// Takes an instance out of service: from here on discovery no longer publishes it, and once
    /// its drain delay has passed it is stopped and destroyed.
    func retire(_ id: String, in world: inout ObservedWorld, now: Date) async throws {
        guard var record = world.records[id], record.state != .draining else { return }
        if record.state == .pending || world.inventory[id] == nil {
            try await delete(id, in: &world)
            return
        }
        record.state = .draining
        record.updatedAt = now
        try await put(record, in: &world)
        CrashPoint.pass("instance recorded draining")
        forgetHealth(of: id)
    }

    /// Stops and destroys draining instances whose drain delay has passed. With discovery, the delay
    /// counts from the confirmed publication that left the instance out, and an instance whose removal
    /// is not confirmed yet is not touched.
    func finishDraining(_ records: [InstanceRecord], drain: DrainPolicy, in world: inout ObservedWorld, now: Date)
        async throws -> Int
    {
        let delay = TimeInterval(drain.delay.milliseconds) / 1000
        var due: [InstanceRecord] = []
        for record in records where record.state == .draining {
            guard let since = discovery == nil ? record.updatedAt : drainClock[record.id] else { continue }
            if now.timeIntervalSince(since) >= delay {
                due.append(record)
            } else {
                pacing.due(at: since.addingTimeInterval(delay))
            }
        }
        if due.isEmpty { return 0 }
        try await confirmWriteAccess()
        let runtime = self.runtime
        try await withThrowingTaskGroup(of: Void.self) { group in
            for record in due {
                group.addTask { _ = try await runtime.stop(instanceID: record.id, gracePeriod: drain.gracePeriod) }
            }
            try await group.waitForAll()
        }
        for record in due {
            CrashPoint.pass("instance stopped")
            try await runtime.destroy(instanceID: record.id, keepLogs: false)
            world.inventory[record.id] = nil
            CrashPoint.pass("instance destroyed")
            try await delete(record.id, in: &world)
            counters[record.service, default: (0, 0)].destroyed += 1
            await instanceDestroyed(record)
        }
        return due.count
    }

    /// Takes a failed instance out of service at once and keeps it, stopped, with its logs, as evidence.
    func fail(_ record: InstanceRecord, reason: String, in world: inout ObservedWorld, now: Date) async throws {
        var failed = record
        failed.state = .failed
        failed.reason = reason
        failed.updatedAt = now
        try await put(failed, in: &world)
        CrashPoint.pass("instance recorded failed")
        // The full reason, with the instance's last log lines, is for the operator: the quarantine event omits them.
        logger.warning("\(record.service): instance \(record.id) failed: \(reason)", metadata: failed.logMetadata)
        forgetHealth(of: record.id)
        backoff[record.service, default: CreationBackoff()].recordFailure(now: now)
        try await quarantine(failed, in: &world, now: now)
    }

    func quarantine(_ record: InstanceRecord, in world: inout ObservedWorld, now: Date) async throws {
        if world.inventory[record.id] != nil {
            try await confirmWriteAccess()
            _ = try await runtime.stop(instanceID: record.id, gracePeriod: .seconds(10))
            CrashPoint.pass("failed instance stopped")
        }
        var quarantined = record
        quarantined.state = .quarantined
        quarantined.updatedAt = now
        if quarantined.keptOutput == nil { quarantined.keptOutput = await keptOutput(record.id) }
        try await put(quarantined, in: &world)
    }

    /// The instance's output as its record keeps it (``InstanceLogs/kept(_:)``), so every replica can show it;
    /// nil when the runtime holds none.
    func keptOutput(_ id: String) async -> String? {
        guard let output = try? await runtime.logs(instanceID: id, tail: InstanceLogs.maximumTail) else { return nil }
        return InstanceLogs.kept(output)
    }

    /// The last lines of an instance's logs, for failure reasons; empty when there are none.
    func logTail(_ id: String) async -> String {
        guard let text = try? await runtime.logs(instanceID: id, tail: options.logLines),
            !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else { return "" }
        return "; last log lines:\n" + text
    }
}
