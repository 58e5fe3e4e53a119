import FleetModel
import FleetRegistry
import Foundation
import Testing

/// The contract of ``Registry`` as checks that every implementation must pass.
///
/// Each check gets a fresh, empty registry from `makeRegistry` and closes it at the end. Run them as a
/// parameterised test so a failure names the check:
///
/// ```swift
/// @Test(arguments: RegistryConformance.Check.allCases)
/// func conformance(_ check: RegistryConformance.Check) async throws {
///     try await RegistryConformance(
///         makeRegistry: { try SQLiteRegistry(path: ...) },
///         sameStore: { registry in try SQLiteRegistry(path: (registry as! SQLiteRegistry).path) }
///     ).run(check)
/// }
/// ```
public struct RegistryConformance: Sendable {
    public enum Check: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case emptyRegistry
        case instanceRoundTrip
        case keptOutputRoundTrip
        case datesKeepMilliseconds
        case listingIsFilteredAndOrdered
        case updateWithExpectedVersion
        case conflictOnStaleVersion
        case conflictOnMustNotExist
        case failedCommitAppliesNothing
        case deleteInstance
        case rolloutStateRoundTrip
        case rolloutStateCompareAndSwap
        case operatorControlsRoundTrip
        case fleetControlsRoundTrip
        case invalidCommitsAreRefused
        case oneCommitSharesOneRevision
        case racingWritersExactlyOneWins
        case concurrentIncrementsLoseNothing
        case readersSeeWholeCommits
        case snapshotRoundTripsThroughJSON
        case closedRegistryIsUnavailable
        case changeFeedReportsRolloutStates
        case changeFeedSeesOtherWriters

        public var testDescription: String { rawValue }
    }

    public let makeRegistry: @Sendable () async throws -> any Registry
    /// A second handle on the store of a registry `makeRegistry` made, as another process would open it (a
    /// `gitfleet retry` next to the controller); the change-feed checks write through it.
    public let sameStore: @Sendable (any Registry) async throws -> any Registry

    public init(
        makeRegistry: @escaping @Sendable () async throws -> any Registry,
        sameStore: @escaping @Sendable (any Registry) async throws -> any Registry
    ) {
        self.makeRegistry = makeRegistry
        self.sameStore = sameStore
    }

    /// Runs every check, each on its own fresh registry.
    public func runAll() async throws {
        for check in Check.allCases { try await run(check) }
    }

    /// Runs one check on a fresh registry.
    public func run(_ check: Check) async throws {
        let registry = try await makeRegistry()
        do {
            try await run(check, on: registry)
        } catch {
            try? await registry.close()
            throw error
        }
        if check != .closedRegistryIsUnavailable { try await registry.close() }
    }

    private func run(_ check: Check, on registry: any Registry) async throws {
        switch check {
        case .emptyRegistry: try await emptyRegistry(registry)
        case .instanceRoundTrip: try await instanceRoundTrip(registry)
        case .keptOutputRoundTrip: try await keptOutputRoundTrip(registry)
        case .datesKeepMilliseconds: try await datesKeepMilliseconds(registry)
        case .listingIsFilteredAndOrdered: try await listingIsFilteredAndOrdered(registry)
        case .updateWithExpectedVersion: try await updateWithExpectedVersion(registry)
        case .conflictOnStaleVersion: try await conflictOnStaleVersion(registry)
        case .conflictOnMustNotExist: try await conflictOnMustNotExist(registry)
        case .failedCommitAppliesNothing: try await failedCommitAppliesNothing(registry)
        case .deleteInstance: try await deleteInstance(registry)
        case .rolloutStateRoundTrip: try await rolloutStateRoundTrip(registry)
        case .rolloutStateCompareAndSwap: try await rolloutStateCompareAndSwap(registry)
        case .operatorControlsRoundTrip: try await operatorControlsRoundTrip(registry)
        case .fleetControlsRoundTrip: try await fleetControlsRoundTrip(registry)
        case .invalidCommitsAreRefused: try await invalidCommitsAreRefused(registry)
        case .oneCommitSharesOneRevision: try await oneCommitSharesOneRevision(registry)
        case .racingWritersExactlyOneWins: try await racingWritersExactlyOneWins(registry)
        case .concurrentIncrementsLoseNothing: try await concurrentIncrementsLoseNothing(registry)
        case .readersSeeWholeCommits: try await readersSeeWholeCommits(registry)
        case .snapshotRoundTripsThroughJSON: try await snapshotRoundTripsThroughJSON(registry)
        case .closedRegistryIsUnavailable: try await closedRegistryIsUnavailable(registry)
        case .changeFeedReportsRolloutStates: try await changeFeedReportsRolloutStates(registry, writer: registry)
        case .changeFeedSeesOtherWriters:
            let other = try await sameStore(registry)
            do {
                try await changeFeedReportsRolloutStates(registry, writer: other)
                try await other.close()
            } catch {
                try? await other.close()
                throw error
            }
        }
    }

    // MARK: - Checks

    /// The feed reports puts (with the stored state and version) and deletes of rollout states made after it
    /// started, through `writer` (this handle or another one on the same store), and nothing of instances.
    private func changeFeedReportsRolloutStates(_ registry: any Registry, writer: any Registry) async throws {
        try await registry.commit([.putRolloutState(Self.rollout("before"))])
        let feed = Feed(registry.rolloutStateChanges())
        defer { feed.cancel() }
        // A feed reports what is committed after it began; give it a moment to be in place.
        try await Task.sleep(for: .seconds(1))

        var web = Self.rollout("web")
        let put = try await writer.commit([.putRolloutState(web), .putInstance(Self.instance("web-1"))])
        var seen = try await feed.until { $0["web"] != nil }
        #expect(seen["web"] == .some(Versioned(web, version: put)), "\(seen)")
        #expect(seen["before"] == nil, "a change from before the feed began was reported: \(seen)")

        web.phase = .failed
        web.message = "boom"
        let failed = try await writer.commit([.putRolloutState(web)])
        seen = try await feed.until { $0["web"]??.version == failed }
        #expect(seen["web"]??.record.phase == .failed)

        try await writer.commit([.deleteRolloutState(service: "web")])
        seen = try await feed.until { $0.keys.contains("web") && $0["web"]! == nil }
        #expect(seen["web"]! == nil)
    }

    private func emptyRegistry(_ registry: any Registry) async throws {
        try await registry.ping()
        #expect(try await registry.instances(service: nil).isEmpty)
        #expect(try await registry.instances(service: "web").isEmpty)
        #expect(try await registry.instance(id: "web-1") == nil)
        #expect(try await registry.rolloutStates().isEmpty)
        #expect(try await registry.rolloutState(service: "web") == nil)
        let snapshot = try await registry.snapshot()
        #expect(snapshot.instances.isEmpty && snapshot.rolloutStates.isEmpty)
        #expect(try await registry.commit([]) == snapshot.revision)
        // Deleting what is not there, without an expectation, is not an error: deletes are idempotent.
        try await registry.commit([.deleteInstance(id: "web-1"), .deleteRolloutState(service: "web")])
        #expect(try await registry.instances(service: nil).isEmpty)
    }

    private func instanceRoundTrip(_ registry: any Registry) async throws {
        let full = InstanceRecord(
            id: "web-7f3a",
            service: "web",
            specHash: Self.hash("a"),
            revision: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
            image: "shop/web:1.5.0@sha256:" + String(repeating: "e", count: 64),
            state: .serving,
            address: "127.0.0.1",
            ports: ["http": 41_234, "metrics": 9_100, "zero": 0],
            runtimeHandle: "pid:4242",
            createdAt: Self.date(1_763_816_531_123),
            updatedAt: Self.date(1_763_816_599_999),
            reason: "probe /healthz: 200 after 2 tries\nsecond line, quotes \" and ünïcode ✓")
        let minimal = InstanceRecord(
            id: "api-1", service: "api", specHash: Self.hash("b"), image: "shop/api:2", state: .pending,
            createdAt: Self.date(0))
        let revision = try await registry.commit([.putInstance(full), .putInstance(minimal)])
        #expect(revision > 0)

        let readFull = try #require(try await registry.instance(id: full.id))
        #expect(readFull.record == full)
        #expect(readFull.version == revision)
        let readMinimal = try #require(try await registry.instance(id: minimal.id))
        #expect(readMinimal.record == minimal)
        #expect(readMinimal.record.revision == nil && readMinimal.record.address == nil)
        #expect(readMinimal.record.runtimeHandle == nil && readMinimal.record.reason == nil)
        #expect(readMinimal.record.ports.isEmpty)

        for state in InstanceState.allCases {
            var record = full
            record.state = state
            try await registry.commit([.putInstance(record)])
            #expect(try await registry.instance(id: full.id)?.record.state == state)
        }
    }

    /// A failed instance's kept output, as large as ``InstanceRecord/keptOutputLimit`` allows, comes back whole
    /// from every read (by id, by service, in a snapshot), and a later put without it drops it.
    private func keptOutputRoundTrip(_ registry: any Registry) async throws {
        let line = "stderr: ünïcode ✓, quotes \" and a tab\t, line "
        var output = ""
        var number = 0
        while output.utf8.count + line.utf8.count + 8 < InstanceRecord.keptOutputLimit {
            output += "\(line)\(number)\n"
            number += 1
        }
        var record = Self.instance("web-9", service: "web", state: .quarantined)
        record.reason = "exited unexpectedly (exit 3)"
        record.keptOutput = output
        try await registry.commit([.putInstance(record)])

        #expect(try await registry.instance(id: record.id)?.record.keptOutput == output)
        #expect(try await registry.instances(service: "web").map(\.record.keptOutput) == [output])
        #expect(try await registry.snapshot().instances.map(\.record.keptOutput) == [output])

        record.keptOutput = nil
        try await registry.commit([.putInstance(record)])
        #expect(try await registry.instance(id: record.id)?.record.keptOutput == nil)
    }

    private func datesKeepMilliseconds(_ registry: any Registry) async throws {
        // 0.1234567 s past a whole second: the registry keeps 123 ms and drops the rest.
        let precise = Date(timeIntervalSince1970: 1_763_816_531.123_456_7)
        var record = Self.instance("web-1", createdAt: precise)
        record.updatedAt = Date(timeIntervalSince1970: -1.5)
        try await registry.commit([.putInstance(record)])
        let read = try #require(try await registry.instance(id: "web-1")).record
        #expect(read.createdAt == RegistryTimestamp.normalized(precise))
        #expect(RegistryTimestamp.milliseconds(read.createdAt) == 1_763_816_531_123)
        #expect(read.updatedAt == Self.date(-1_500))
    }

    private func listingIsFilteredAndOrdered(_ registry: any Registry) async throws {
        // Put in an order that is neither creation order nor id order; ties in createdAt break on id.
        let records = [
            Self.instance("web-c", service: "web", createdAt: Self.date(3_000)),
            Self.instance("api-a", service: "api", createdAt: Self.date(2_000)),
            Self.instance("web-b", service: "web", createdAt: Self.date(1_000)),
            Self.instance("web-a", service: "web", createdAt: Self.date(3_000)),
            Self.instance("api-b", service: "api", createdAt: Self.date(500)),
        ]
        try await registry.commit(records.map { .putInstance($0) })
        #expect(
            try await registry.instances(service: nil).map(\.record.id) == [
                "api-b", "web-b", "api-a", "web-a", "web-c",
            ])
        #expect(try await registry.instances(service: "web").map(\.record.id) == ["web-b", "web-a", "web-c"])
        #expect(try await registry.instances(service: "api").map(\.record.id) == ["api-b", "api-a"])
        #expect(try await registry.instances(service: "db").isEmpty)
        #expect(try await registry.instances(service: "we").isEmpty, "the filter is exact, not a prefix")
    }

    private func updateWithExpectedVersion(_ registry: any Registry) async throws {
        var record = Self.instance("web-1")
        let other = Self.instance("web-2")
        try await registry.commit([.putInstance(record, expecting: .absent), .putInstance(other)])
        let first = try #require(try await registry.instance(id: "web-1"))
        let otherVersion = try #require(try await registry.instance(id: "web-2")).version

        record.state = .serving
        record.updatedAt = Self.date(9_000)
        let revision = try await registry.commit([.putInstance(record, expecting: .version(first.version))])
        let second = try #require(try await registry.instance(id: "web-1"))
        #expect(second.record == record)
        #expect(second.version == revision)
        #expect(second.version > first.version)
        #expect(
            try await registry.instance(id: "web-2")?.version == otherVersion, "an untouched record keeps its version")
    }

    private func conflictOnStaleVersion(_ registry: any Registry) async throws {
        var record = Self.instance("web-1")
        try await registry.commit([.putInstance(record)])
        let stale = try #require(try await registry.instance(id: "web-1")).version
        record.state = .starting
        try await registry.commit([.putInstance(record, expecting: .version(stale))])
        let current = try #require(try await registry.instance(id: "web-1"))

        var lost = record
        lost.state = .failed
        try await Self.expectError(.conflict, record: .instance("web-1")) {
            try await registry.commit([.putInstance(lost, expecting: .version(stale))])
        }
        try await Self.expectError(.conflict, record: .instance("web-1")) {
            try await registry.commit([.deleteInstance(id: "web-1", expecting: .version(stale))])
        }
        try await Self.expectError(.conflict, record: .instance("web-9")) {
            try await registry.commit([.putInstance(Self.instance("web-9"), expecting: .version(current.version))])
        }
        #expect(try await registry.instance(id: "web-1") == current, "a conflict leaves the record as it was")
        #expect(try await registry.instance(id: "web-9") == nil)
    }

    private func conflictOnMustNotExist(_ registry: any Registry) async throws {
        let record = Self.instance("web-1")
        try await registry.commit([.putInstance(record, expecting: .absent)])
        let stored = try #require(try await registry.instance(id: "web-1"))
        var duplicate = record
        duplicate.image = "shop/web:other"
        try await Self.expectError(.conflict, record: .instance("web-1")) {
            try await registry.commit([.putInstance(duplicate, expecting: .absent)])
        }
        #expect(try await registry.instance(id: "web-1") == stored)
    }

    private func failedCommitAppliesNothing(_ registry: any Registry) async throws {
        let existing = Self.instance("web-c")
        try await registry.commit([.putInstance(existing), .putInstance(Self.instance("web-old"))])
        let before = try await registry.snapshot()

        // The conflicting change sits in the middle, after changes that would succeed on their own.
        try await Self.expectError(.conflict, record: .instance("web-c")) {
            try await registry.commit([
                .putInstance(Self.instance("web-a"), expecting: .absent),
                .deleteInstance(id: "web-old"),
                .putRolloutState(Self.rollout("web"), expecting: .absent),
                .putInstance(Self.instance("web-c", state: .failed), expecting: .absent),
                .putInstance(Self.instance("web-d")),
            ])
        }
        #expect(try await registry.snapshot() == before, "nothing of a failed commit is applied")
        #expect(try await registry.commit([]) == before.revision, "a failed commit does not advance the revision")
    }

    private func deleteInstance(_ registry: any Registry) async throws {
        try await registry.commit([
            .putInstance(Self.instance("web-1")), .putInstance(Self.instance("web-2")),
            .putInstance(Self.instance("web-3")),
        ])
        let version = try #require(try await registry.instance(id: "web-1")).version
        try await registry.commit([.deleteInstance(id: "web-1", expecting: .version(version))])
        try await registry.commit([.deleteInstance(id: "web-2")])
        #expect(try await registry.instance(id: "web-1") == nil)
        #expect(try await registry.instances(service: "web").map(\.record.id) == ["web-3"])
        try await Self.expectError(.conflict, record: .instance("web-1")) {
            try await registry.commit([.deleteInstance(id: "web-1", expecting: .version(version))])
        }
        // A deleted id can be created again, as a new record.
        try await registry.commit([.putInstance(Self.instance("web-1"), expecting: .absent)])
        #expect(try await registry.instance(id: "web-1")!.version > version)
    }

    private func rolloutStateRoundTrip(_ registry: any Registry) async throws {
        let full = RolloutState(
            service: "web",
            targetSpecHash: Self.hash("c"),
            targetRevision: "c0ffee",
            lastGoodSpecHash: Self.hash("b"),
            lastGoodRevision: "bead",
            lastGoodSpec: ServiceSpec(
                name: "web",
                image: ImageReference(
                    repository: "demo/web", tag: "1.0.0", digest: "sha256:" + String(repeating: "ab", count: 32)),
                replicas: 3, command: ["bin/web", "--port", "$(PORT)"], env: ["LOG_LEVEL": "info"], ports: ["http": 0],
                health: HealthCheck(probe: .http(path: "/healthz", port: "http"), startTimeout: .seconds(30)),
                // A canary gate among the steps: stored specs keep it.
                rollout: RolloutPolicy(
                    strategy: .canary, maxSurge: .percent(25), progressDeadline: .seconds(90),
                    steps: [.init(weight: 20, pause: .seconds(60)), .init(weight: 20, pause: .zero, gate: true)]),
                drain: DrainPolicy(delay: .milliseconds(500)), maxAge: .seconds(86_400)),
            failedSpecHashes: [Self.hash("d"), Self.hash("e"), Self.hash("f")],
            triedSpecs: [
                ServiceSpec(
                    name: "web", image: ImageReference(repository: "demo/web", tag: "2.0.0"), replicas: 3,
                    env: ["LOG_LEVEL": "debug"]),
                ServiceSpec(name: "web", image: ImageReference(repository: "demo/web", tag: "broken"), replicas: 1),
            ],
            phase: .rolledBack,
            step: 3,
            startedAt: Self.date(1_763_816_000_001),
            lastProgressAt: Self.date(1_763_816_100_002),
            message: "canary failed: 2 of 2 probes timed out")
        let minimal = RolloutState(
            service: "api", targetSpecHash: Self.hash("a"), phase: .idle, startedAt: Self.date(42))
        let revision = try await registry.commit([.putRolloutState(full), .putRolloutState(minimal)])
        let readFull = try #require(try await registry.rolloutState(service: "web"))
        #expect(readFull.record == full)
        #expect(readFull.version == revision)
        #expect(try await registry.rolloutState(service: "api")?.record == minimal)
        #expect(try await registry.rolloutStates().map(\.record.service) == ["api", "web"])
        #expect(try await registry.rolloutState(service: "db") == nil)

        for phase in RolloutPhase.allCases {
            var state = full
            state.phase = phase
            state.failedSpecHashes = phase == .idle ? [] : [Self.hash("9")]
            try await registry.commit([.putRolloutState(state)])
            #expect(try await registry.rolloutState(service: "web")?.record == state)
        }
        try await registry.commit([.deleteRolloutState(service: "api")])
        #expect(try await registry.rolloutStates().map(\.record.service) == ["web"])
    }

    /// A suspension, a rollback's pin and the good spec before the last survive the store (SQLite's "v5: operator
    /// controls" columns, etcd's JSON), their dates to the millisecond, and go again when cleared.
    private func operatorControlsRoundTrip(_ registry: any Registry) async throws {
        let previous = ServiceSpec(
            name: "web",
            image: ImageReference(
                repository: "demo/web", tag: "1.0.0", digest: "sha256:" + String(repeating: "cd", count: 32)),
            replicas: 2)
        var state = RolloutState(
            service: "web", targetSpecHash: Self.hash("b"), lastGoodSpecHash: Self.hash("b"), phase: .idle,
            startedAt: Self.date(1_763_816_000_001), previousGoodSpec: previous, previousGoodRevision: "bead",
            suspended: Attribution(by: "alice", at: Self.date(1_763_816_000_123), reason: "incident #42: hold web"),
            pin: RolloutPin(
                spec: previous, revision: "bead", from: Self.hash("b"),
                attribution: Attribution(by: "cli:bob", at: Self.date(1_763_816_000_456))))
        try await registry.commit([.putRolloutState(state, expecting: .absent)])
        let stored = try #require(try await registry.rolloutState(service: "web"))
        #expect(stored.record == state)
        #expect(try await registry.snapshot().rolloutStates.map(\.record) == [state])
        state.suspended = nil
        state.pin = nil
        try await registry.commit([.putRolloutState(state, expecting: .version(stored.version))])
        let cleared = try #require(try await registry.rolloutState(service: "web")?.record)
        #expect(cleared.suspended == nil && cleared.pin == nil && cleared.previousGoodSpec == previous)
    }

    /// The one fleet-controls record: absent at first, put and read back (its date to the millisecond), in the
    /// snapshot and what restores it, written only at the version read, deleted.
    private func fleetControlsRoundTrip(_ registry: any Registry) async throws {
        #expect(try await registry.fleetControls() == nil)
        let controls = FleetControls(
            suspended: Attribution(by: "alice", at: Self.date(1_763_816_000_789), reason: "release freeze: \"all\""))
        let revision = try await registry.commit([.putFleetControls(controls, expecting: .absent)])
        let stored = try #require(try await registry.fleetControls())
        #expect(stored == Versioned(controls, version: revision))
        let snapshot = try await registry.snapshot()
        #expect(snapshot.fleetControls == stored)
        #expect(snapshot.restoringCommits.flatMap { $0 }.contains(.putFleetControls(controls, expecting: .absent)))
        try await Self.expectError(.conflict, record: .fleetControls) {
            try await registry.commit([.putFleetControls(FleetControls(), expecting: .version(stored.version + 99))])
        }
        try await registry.commit([.putFleetControls(FleetControls(), expecting: .version(stored.version))])
        #expect(try await registry.fleetControls()?.record == FleetControls())
        try await registry.commit([.deleteFleetControls()])
        #expect(try await registry.fleetControls() == nil)
        #expect(try await registry.snapshot().fleetControls == nil)
    }

    private func rolloutStateCompareAndSwap(_ registry: any Registry) async throws {
        var state = Self.rollout("web")
        try await registry.commit([.putRolloutState(state, expecting: .absent)])
        let first = try #require(try await registry.rolloutState(service: "web"))
        try await Self.expectError(.conflict, record: .rolloutState("web")) {
            try await registry.commit([.putRolloutState(state, expecting: .absent)])
        }
        state.step = 1
        try await registry.commit([.putRolloutState(state, expecting: .version(first.version))])
        try await Self.expectError(.conflict, record: .rolloutState("web")) {
            try await registry.commit([.deleteRolloutState(service: "web", expecting: .version(first.version))])
        }
        #expect(try await registry.rolloutState(service: "web")?.record.step == 1)
    }

    private func invalidCommitsAreRefused(_ registry: any Registry) async throws {
        try await Self.expectError(.invalid, record: .instance("web-1")) {
            try await registry.commit([.putInstance(Self.instance("web-1")), .deleteInstance(id: "web-1")])
        }
        let tooMany = (0...RegistryChange.maximumPerCommit).map { RegistryChange.putInstance(Self.instance("w-\($0)")) }
        try await Self.expectError(.invalid) { try await registry.commit(tooMany) }
        try await Self.expectError(.invalid) { try await registry.commit([.putInstance(Self.instance(""))]) }
        #expect(try await registry.instances(service: nil).isEmpty)

        // The same name as an instance and as a service's rollout state is two records, not one.
        try await registry.commit([.putInstance(Self.instance("web")), .putRolloutState(Self.rollout("web"))])
        let atLimit = (1..<RegistryChange.maximumPerCommit).map { RegistryChange.putInstance(Self.instance("w-\($0)")) }
        try await registry.commit(atLimit + [.deleteInstance(id: "web")])
        #expect(try await registry.instances(service: "web").count == RegistryChange.maximumPerCommit - 1)
    }

    private func oneCommitSharesOneRevision(_ registry: any Registry) async throws {
        let first = try await registry.commit([
            .putInstance(Self.instance("web-1")), .putRolloutState(Self.rollout("web")),
        ])
        let second = try await registry.commit([.putInstance(Self.instance("web-2"))])
        #expect(second > first)
        #expect(try await registry.instance(id: "web-1")?.version == first)
        #expect(try await registry.rolloutState(service: "web")?.version == first)
        #expect(try await registry.instance(id: "web-2")?.version == second)
        let snapshot = try await registry.snapshot()
        #expect(snapshot.revision == second)
    }

    private func racingWritersExactlyOneWins(_ registry: any Registry) async throws {
        try await registry.commit([.putRolloutState(Self.rollout("web"))])
        let rounds = 20
        for round in 1...rounds {
            let current = try #require(try await registry.rolloutState(service: "web"))
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for writer in 0..<2 {
                    group.addTask {
                        var state = current.record
                        state.step = round
                        state.message = "writer \(writer)"
                        do {
                            try await registry.commit([.putRolloutState(state, expecting: .version(current.version))])
                            return true
                        } catch let error as RegistryError where error.code == .conflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1, "round \(round): \(wins) writers won")
        }
        #expect(try await registry.rolloutState(service: "web")?.record.step == rounds)
    }

    private func concurrentIncrementsLoseNothing(_ registry: any Registry) async throws {
        try await registry.commit([.putRolloutState(Self.rollout("web"))])
        let writers = 4
        let increments = 10
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    for _ in 0..<increments {
                        while true {
                            let current = try #require(try await registry.rolloutState(service: "web"))
                            var state = current.record
                            state.step += 1
                            do {
                                try await registry.commit([
                                    .putRolloutState(state, expecting: .version(current.version))
                                ])
                                break
                            } catch let error as RegistryError where error.code == .conflict {
                                continue
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await registry.rolloutState(service: "web")?.record.step == writers * increments)
    }

    private func readersSeeWholeCommits(_ registry: any Registry) async throws {
        // Each commit swaps the pair of instances for the next pair; a reader must see one whole pair.
        let rounds = 40
        var previous = try await registry.commit(RegistryConformance.pairSwap(round: 0, previousVersion: nil))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for _ in 0..<rounds {
                    let ids = try await registry.instances(service: "web").map(\.record.id)
                    let round = ids.first.map { String($0.dropFirst(2)) } ?? "?"
                    #expect(ids == ["a-\(round)", "b-\(round)"], "a reader saw part of a commit: \(ids)")
                    let snapshot = try await registry.snapshot()
                    #expect(Set(snapshot.instances.map(\.version)) == [snapshot.rolloutStates.first?.version])
                }
            }
            for round in 1...rounds {
                previous = try await registry.commit(
                    RegistryConformance.pairSwap(round: round, previousVersion: previous))
            }
            try await group.waitForAll()
        }
        #expect(try await registry.instances(service: "web").map(\.record.id) == ["a-\(rounds)", "b-\(rounds)"])
    }

    /// One commit of a writer that keeps exactly one pair of instances (`a-<round>`, `b-<round>`) and a rollout
    /// state whose `step` names the pair: it creates the new pair, deletes the previous one and advances the
    /// step, each change compare-and-swapped against `previousVersion` (the last commit's revision).
    /// Whoever reads the registry, at any moment or after a crash, must find one whole pair matching the step.
    public static func pairSwap(round: Int, previousVersion: Int64?) -> [RegistryChange] {
        let createdAt = date(1_000 + Int64(round))
        var state = rollout("web")
        state.step = round
        var changes: [RegistryChange] = [
            .putInstance(instance("a-\(round)", createdAt: createdAt), expecting: .absent),
            .putInstance(instance("b-\(round)", createdAt: createdAt), expecting: .absent),
        ]
        if let previousVersion {
            changes += [
                .deleteInstance(id: "a-\(round - 1)", expecting: .version(previousVersion)),
                .deleteInstance(id: "b-\(round - 1)", expecting: .version(previousVersion)),
                .putRolloutState(state, expecting: .version(previousVersion)),
            ]
        } else {
            changes.append(.putRolloutState(state, expecting: .absent))
        }
        return changes
    }

    /// Checks what ``pairSwap(round:previousVersion:)`` promises; returns the round found (nil when empty).
    @discardableResult
    public static func expectWholePair(
        in snapshot: RegistrySnapshot, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) -> Int? {
        guard let state = snapshot.rolloutStates.first else {
            #expect(snapshot.instances.isEmpty, "instances without their rollout state", sourceLocation: sourceLocation)
            return nil
        }
        let round = state.record.step
        #expect(
            snapshot.instances.map(\.record.id) == ["a-\(round)", "b-\(round)"], sourceLocation: sourceLocation)
        #expect(snapshot.instances.allSatisfy { $0.version == state.version }, sourceLocation: sourceLocation)
        return round
    }

    private func snapshotRoundTripsThroughJSON(_ registry: any Registry) async throws {
        try await registry.commit([
            .putInstance(Self.instance("web-2", createdAt: Self.date(2_000))),
            .putInstance(Self.instance("web-1", createdAt: Self.date(1_000))),
            .putRolloutState(Self.rollout("web")),
        ])
        try await registry.commit([.putInstance(Self.instance("api-1", service: "api", createdAt: Self.date(1_500)))])
        let snapshot = try await registry.snapshot()
        #expect(snapshot.instances.map(\.record.id) == ["web-1", "api-1", "web-2"])
        #expect(snapshot.instances == (try await registry.instances(service: nil)))
        #expect(snapshot.rolloutStates == (try await registry.rolloutStates()))

        let json = try snapshot.jsonData()
        #expect(try RegistrySnapshot(jsonData: json) == snapshot)
        #expect(try snapshot.jsonData() == json, "the same snapshot encodes to the same bytes")

        let restored = try await makeRegistry()
        for commit in snapshot.restoringCommits { try await restored.commit(commit) }
        let copy = try await restored.snapshot()
        try await restored.close()
        #expect(copy.instances.map(\.record) == snapshot.instances.map(\.record))
        #expect(copy.rolloutStates.map(\.record) == snapshot.rolloutStates.map(\.record))
    }

    private func closedRegistryIsUnavailable(_ registry: any Registry) async throws {
        try await registry.commit([.putInstance(Self.instance("web-1"))])
        try await registry.close()
        try await registry.close()
        try await Self.expectError(.unavailable) { _ = try await registry.instances(service: nil) }
        try await Self.expectError(.unavailable) { try await registry.commit([.deleteInstance(id: "web-1")]) }
        try await Self.expectError(.unavailable) { try await registry.ping() }
    }

    // MARK: - Fixtures

    /// A date the registry stores exactly: `milliseconds` since 1970.
    public static func date(_ milliseconds: Int64) -> Date {
        RegistryTimestamp.date(milliseconds: milliseconds)
    }

    /// A spec hash made of one repeated hex digit.
    public static func hash(_ digit: Character) -> SpecHash {
        SpecHash(rawValue: String(repeating: digit, count: 64))
    }

    public static func instance(
        _ id: String, service: String = "web", state: InstanceState = .pending, createdAt: Date = date(1_000)
    ) -> InstanceRecord {
        InstanceRecord(
            id: id, service: service, specHash: hash("a"), image: "shop/\(service):1", state: state,
            createdAt: createdAt)
    }

    /// Reads a change feed from a task of its own, so a check can wait for a change with a deadline.
    final class Feed: Sendable {
        actor Collected {
            var changes: [RolloutStateChange] = []
            var failure: (any Error)?
            func add(_ batch: [RolloutStateChange]) { changes += batch }
            func fail(_ error: any Error) { failure = error }
        }

        private let collected = Collected()
        private let task: Task<Void, Never>

        init(_ stream: AsyncThrowingStream<[RolloutStateChange], any Error>) {
            let collected = collected
            task = Task {
                do {
                    for try await batch in stream { await collected.add(batch) }
                } catch {
                    await collected.fail(error)
                }
            }
        }

        /// The latest change reported per service once `condition` holds of it; fails after 20 s (generous: a
        /// loaded machine), or when the feed failed.
        func until(_ condition: ([String: Versioned<RolloutState>?]) -> Bool) async throws
            -> [String: Versioned<RolloutState>?]
        {
            let deadline = ContinuousClock.now + .seconds(20)
            while true {
                var latest: [String: Versioned<RolloutState>?] = [:]
                for change in await collected.changes { latest[change.service] = .some(change.state) }
                if condition(latest) { return latest }
                if let error = await collected.failure { throw error }
                if ContinuousClock.now >= deadline {
                    Issue.record("the change feed did not report the change within 20 s; it reported \(latest)")
                    return latest
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        func cancel() { task.cancel() }
    }

    public static func rollout(_ service: String) -> RolloutState {
        RolloutState(service: service, targetSpecHash: hash("a"), phase: .progressing, startedAt: date(1_000))
    }

    /// Expects `body` to throw a ``RegistryError`` with `code` (and naming `record`, when given).
    public static func expectError(
        _ code: RegistryError.Code, record: RegistryRecordKey? = nil,
        sourceLocation: Testing.SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async throws {
        do {
            try await body()
            Issue.record("expected a registry error \(code), but it succeeded", sourceLocation: sourceLocation)
        } catch let error as RegistryError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            if let record { #expect(error.record == record, "\(error)", sourceLocation: sourceLocation) }
        }
    }
}

/// Runs `body` on an etcd registry and closes it however `body` ends (an unclosed HTTP client traps).
public func withEtcdRegistry(
    _ configuration: EtcdConfiguration, _ body: (EtcdRegistry) async throws -> Void
) async throws {
    let registry = try EtcdRegistry(configuration: configuration)
    do {
        try await body(registry)
    } catch {
        try? await registry.close()
        throw error
    }
    try await registry.close()
}
