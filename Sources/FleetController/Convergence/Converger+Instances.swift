import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import Logging

/// The journaled steps of an instance's life. Each writes the registry first, then touches the runtime.
/// A wave of new instances recorded `pending` by a pass, for the pass to start once every service was looked at.
struct PendingWave {
    var spec: ServiceSpec
    var specHash: SpecHash
    var records: [InstanceRecord]
}

extension Converger {
    /// The most runtime calls (starts, stops, destroys) one step makes at once. A wave's instances start
    /// together, but a surge of hundreds should not open hundreds of Docker API requests or copy hundreds of
    /// images at the same moment on a small machine; 16 keeps both cores busy while one start waits on I/O.
    static let maximumConcurrentRuntimeCalls = 16

    func put(_ record: InstanceRecord, in world: inout ObservedWorld) async throws {
        try await journal([record], in: &world)
    }

    func delete(_ id: String, in world: inout ObservedWorld) async throws {
        try await journal([], deleting: [id], in: &world)
    }

    /// Journals the records of one step (a wave's `pending` or `starting` records, the promotions of a pass, the
    /// `draining` records of a wave, the deletes after destroying) together: one registry commit for up to
    /// ``RegistryChange/maximumPerCommit`` changes, so a wave of 10 costs one commit instead of 10. Larger steps
    /// are split; each part is whole on its own, and every record is one instance's own intent, so a crash
    /// between two parts leaves records the next pass finishes or undoes one by one, as after a single write.
    func journal(_ records: [InstanceRecord], deleting ids: [String] = [], in world: inout ObservedWorld)
        async throws
    {
        let changes = records.map { RegistryChange.putInstance($0) } + ids.map { .deleteInstance(id: $0) }
        guard !changes.isEmpty else { return }
        try await commitInParts(changes)
        let before = records.map { world.records[$0.id]?.state }
        for record in records { world.set(record) }
        for id in ids {
            world.remove(id)
            drainClock[id] = nil
        }
        pacing.changed = true
        for (state, record) in zip(before, records) { await instanceChanged(from: state, to: record) }
    }

    /// Commits `changes` in as few commits as ``RegistryChange/maximumPerCommit`` allows, in order.
    func commitInParts(_ changes: [RegistryChange]) async throws {
        for start in stride(from: 0, to: changes.count, by: RegistryChange.maximumPerCommit) {
            try await registry.commit(
                Array(changes[start..<min(start + RegistryChange.maximumPerCommit, changes.count)]))
        }
    }

    /// Confirms, with a commit that writes nothing, that this controller may still change the fleet,
    /// before it stops or destroys anything that no write of this pass has just journaled: on a fenced
    /// registry a deposed leader is refused here, and with the registry unreachable nothing is destroyed.
    func confirmWriteAccess() async throws {
        try await registry.commit([])
    }

    /// Records `count` new instances of `spec` as one wave, `pending`, in one commit; the pass starts them once every
    /// service has been looked at (``startWaves(in:now:)``), together with every other service's new instances.
    func create(
        _ spec: ServiceSpec, specHash: SpecHash, count: Int, revision: String?, in world: inout ObservedWorld,
        now: Date
    ) async throws {
        guard count > 0 else { return }
        let pending = (0..<count).map { _ in
            InstanceRecord(
                id: InstanceID.make(service: spec.name, specHash: specHash), service: spec.name, specHash: specHash,
                revision: revision, image: spec.image.description, state: .pending, createdAt: now)
        }
        try await journal(pending, in: &world)
        CrashPoint.pass("instances recorded pending")
        counters[spec.name, default: (0, 0)].created += count
        pendingWaves.append(PendingWave(spec: spec, specHash: specHash, records: pending))
    }

    /// Starts the waves this pass recorded `pending`, every service's at once, and records those that started
    /// `starting` together; an instance that could not start is failed, as alone. Starting them after the loop
    /// over services, rather than in it, lets 1,000 new services' starts overlap instead of running one by one.
    /// A crash before the `starting` commit leaves `pending` records the next pass adopts (the process runs) or
    /// forgets (it never started), each on its own.
    func startWaves(in world: inout ObservedWorld, now: Date) async throws {
        let waves = pendingWaves
        pendingWaves = []
        guard !waves.isEmpty else { return }
        // The `pending` commits may lie a while back in a long pass: a leader deposed since must not start anything.
        try await confirmWriteAccess()
        var launches: [InstanceLaunch] = []
        var records: [String: InstanceRecord] = [:]
        var failures: [(InstanceRecord, String)] = []
        for wave in waves {
            do {
                // The secrets of one spec are the same for each of its instances: read once per wave.
                let (secretEnv, secretFiles) = try await secretValues(for: wave.spec)
                for record in wave.records {
                    let spec = wave.spec
                    var launch = InstanceLaunch(
                        instanceID: record.id, service: spec.name, specHash: wave.specHash, image: spec.image,
                        command: spec.command, env: spec.env, ports: spec.ports, resources: spec.resources)
                    (launch.secretEnv, launch.secretFiles) = (secretEnv, secretFiles)
                    launches.append(launch)
                    records[record.id] = record
                }
            } catch {
                failures += wave.records.map { ($0, "could not start: \(error)") }
            }
        }
        var started: [InstanceRecord] = []
        let runtime = self.runtime
        for (launch, result) in await Self.concurrently(launches, { try await runtime.start($0) }) {
            guard var record = records[launch.instanceID] else { continue }
            switch result {
            case .success(let instance):
                world.inventory[record.id] = instance
                CrashPoint.pass("instance started")
                record.state = .starting
                record.runtimeHandle = instance.handle
                record.address = instance.address
                record.ports = instance.ports
                record.updatedAt = clock.wallTime
                started.append(record)
            case .failure(let error):
                failures.append((record, "could not start: \(error)"))
            }
        }
        try await journal(started, in: &world)
        if !started.isEmpty { CrashPoint.pass("instances recorded starting") }
        for (record, reason) in failures {
            try await fail(record, reason: reason, in: &world, now: now)
        }
    }

    /// The values of `spec`'s secrets for its instances' launch: none when it refers to none.
    private func secretValues(for spec: ServiceSpec) async throws -> (
        env: [String: SecretValue], files: [String: SecretValue]
    ) {
        guard !spec.secretReferences.isEmpty else { return ([:], [:]) }
        guard let secrets else {
            throw SecretError(.notConfigured, "the spec refers to secrets but no secretIdentityFile is set")
        }
        return try await secrets.values(for: spec)
    }

    /// Runs `body` on every element, at most ``maximumConcurrentRuntimeCalls`` at once, and returns each
    /// element with its result in the order they finished.
    static func concurrently<Element: Sendable, Value: Sendable>(
        _ elements: [Element], _ body: @escaping @Sendable (Element) async throws -> Value
    ) async -> [(Element, Result<Value, any Error>)] {
        await withTaskGroup(of: (Element, Result<Value, any Error>).self) { group in
            var results: [(Element, Result<Value, any Error>)] = []
            var next = elements.makeIterator()
            func add(_ element: Element) {
                group.addTask {
                    do { return (element, .success(try await body(element))) } catch {
                        return (element, .failure(error))
                    }
                }
            }
            for _ in 0..<maximumConcurrentRuntimeCalls {
                guard let element = next.next() else { break }
                add(element)
            }
            while let result = await group.next() {
                results.append(result)
                if let element = next.next() { add(element) }
            }
            return results
        }
    }

    /// Takes instances out of service together: from here on discovery no longer publishes them, and once their
    /// drain delay has passed they are stopped and destroyed. The `draining` records (and the deletes of those
    /// that never ran) are one step, journaled together.
    func retire(_ ids: [String], in world: inout ObservedWorld, now: Date) async throws {
        var draining: [InstanceRecord] = []
        var deleted: [String] = []
        for id in ids {
            guard var record = world.records[id], record.state != .draining else { continue }
            if record.state == .pending || world.inventory[id] == nil {
                deleted.append(id)
                continue
            }
            record.state = .draining
            record.updatedAt = now
            draining.append(record)
        }
        try await journal(draining, deleting: deleted, in: &world)
        if !draining.isEmpty { CrashPoint.pass("instances recorded draining") }
        for record in draining { forgetHealth(of: record.id) }
    }

    /// Stops and destroys draining instances whose drain delay has passed, all of them at once, then deletes
    /// their records in one step. With discovery, the delay counts from the confirmed publication that left the
    /// instance out, and an instance whose removal is not confirmed yet is not touched.
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
        // One instance's refusal must not strand the others: those stopped are destroyed and those destroyed are
        // deleted, and then the first error ends the pass; the next one finds the rest still draining.
        var firstError: (any Error)?
        let runtime = self.runtime
        var stopped: [InstanceRecord] = []
        for (record, result) in await Self.concurrently(
            due,
            {
                _ = try await runtime.stop(instanceID: $0.id, gracePeriod: drain.gracePeriod)
            })
        {
            do {
                try result.get()
                stopped.append(record)
                CrashPoint.pass("instance stopped")
            } catch { firstError = firstError ?? error }
        }
        var destroyed: [InstanceRecord] = []
        for (record, result) in await Self.concurrently(
            stopped,
            {
                try await runtime.destroy(instanceID: $0.id, keepLogs: false)
            })
        {
            do {
                try result.get()
                world.inventory[record.id] = nil
                destroyed.append(record)
                CrashPoint.pass("instance destroyed")
            } catch { firstError = firstError ?? error }
        }
        try await journal([], deleting: destroyed.map(\.id), in: &world)
        for record in destroyed {
            counters[record.service, default: (0, 0)].destroyed += 1
            await instanceDestroyed(record)
        }
        if let firstError { throw firstError }
        return destroyed.count
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
