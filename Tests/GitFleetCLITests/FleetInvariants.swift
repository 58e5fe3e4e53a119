import FleetModel
import Foundation
import Testing

/// What the invariant checks read of a fleet: its registry and, apart from any bookkeeping of the controller or the
/// runtime, the instances that really run.
protocol ObservedFleet: Sendable {
    /// Every instance record of the registry, from one read.
    func records() async throws -> [InstanceRecord]
    /// The IDs of the instances whose processes (or containers) run at this moment, found on the machine itself
    /// (for the process runtime, by the `GITFLEET_INSTANCE_ID` in `/proc/*/environ`), so a process the runtime lost
    /// track of still counts.
    func runningInstanceIDs() async throws -> Set<String>
}

/// The safety invariants of a rolling update, checked against a real fleet:
///
/// - **never more than `replicas + maxSurge` instances of the service run at once**;
/// - **never fewer than `replicas − maxUnavailable` serving** once the fleet first converged (an instance the test
///   itself killed is allowed for; see ``InvariantSampler/killing(_:)``);
/// - **every running instance is recorded and every live record runs**, as the journal's order allows it: a record
///   is written `pending` before its process starts and `starting` after, `draining` before the stop and deleted
///   after the destroy, `failed` before a failed instance is stopped and `quarantined` after. So a running process
///   must have a record that is live or `failed`, and a `starting`, `ready` or `serving` record must have a running
///   process; `pending` and `draining` records may have one or not.
///
/// An observation reads the registry, scans the running processes twice and reads the registry again, so that a
/// check made while a controller acts never blames it for a step it took between two reads: a process seen
/// running must have a record in either read (its record outlives it on both sides), a record that claims a
/// process in both reads held that claim all along, and the upper bound counts only the processes seen in both
/// scans, which all ran at one instant.
struct FleetInvariants: Sendable {
    let service: String
    let replicas: Int
    let maxSurge: Int
    let maxUnavailable: Int

    init(service: String = "web", replicas: Int, maxSurge: Int, maxUnavailable: Int = 0) {
        self.service = service
        self.replicas = replicas
        self.maxSurge = maxSurge
        self.maxUnavailable = maxUnavailable
    }

    var maximumRunning: Int { replicas + maxSurge }
    var minimumServing: Int { replicas - maxUnavailable }

    /// Observes `fleet` once and records an issue, naming `moment`, for every invariant it breaks; returns them.
    /// `converged` says whether the lower bound applies yet (the fleet has converged once before).
    @discardableResult
    func check(
        _ fleet: some ObservedFleet, after moment: String, converged: Bool = true,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async throws -> [String] {
        let violations = violations(in: try await FleetObservation(of: fleet), checkingLowerBound: converged)
        for violation in violations { Issue.record("after \(moment): \(violation)", sourceLocation: sourceLocation) }
        return violations
    }

    /// The invariants `observation` breaks. `killed` are instances the test killed itself (their records may claim a
    /// process that is gone until the controller notices); `lostCapacity` lowers the serving bound by the serving
    /// instances the test killed that the controller has not replaced yet, as of the second read;
    /// `lostCapacityInFirstRead` (by default the same) as of the first, before a replacement the second read
    /// found serving.
    func violations(
        in observation: FleetObservation, checkingLowerBound: Bool, killed: Set<String> = [], lostCapacity: Int = 0,
        lostCapacityInFirstRead: Int? = nil
    ) -> [String] {
        var found: [String] = []
        for id in observation.seenRunning.sorted() {
            let states = observation.states(of: id)
            if !states.contains(where: { $0.isLive || $0 == .failed }) {
                found.append("\(id) runs with no live record (\(Self.describe(states)))")
            }
        }
        for (id, record) in observation.before.sorted(by: { $0.key < $1.key })
        where Self.claimsProcess(record.state) && !killed.contains(id) && !observation.seenRunning.contains(id) {
            if let after = observation.after[id], Self.claimsProcess(after.state) {
                found.append("\(id) is recorded \(after.state) but does not run")
            }
        }
        let together = observation.runningTogether.filter { id in
            observation.states(of: id).isEmpty || observation.service(of: id) == service
        }
        if together.count > maximumRunning {
            found.append(
                "\(together.count) instances of \(service) run at once, more than replicas + maxSurge = "
                    + "\(maximumRunning): \(together.sorted())")
        }
        if checkingLowerBound {
            let reads = [
                ("first", observation.before, lostCapacityInFirstRead ?? lostCapacity),
                ("second", observation.after, lostCapacity),
            ]
            for (read, records, lostCapacity) in reads {
                let bound = minimumServing - lostCapacity
                let serving = records.values.filter { $0.service == service && $0.state == .serving }
                if serving.count < bound {
                    let allowance = lostCapacity == 0 ? "" : " less \(lostCapacity) killed by the test"
                    found.append(
                        "\(serving.count) instances of \(service) serve in the \(read) read, fewer than replicas − "
                            + "maxUnavailable = \(minimumServing)\(allowance): \(records.values.map(\.summary).sorted())"
                    )
                }
            }
        }
        return found
    }

    /// Whether a record in `state` says its process runs (see the type's comment).
    static func claimsProcess(_ state: InstanceState) -> Bool {
        [.starting, .ready, .serving].contains(state)
    }

    private static func describe(_ states: [InstanceState]) -> String {
        states.isEmpty ? "no record in either read" : "recorded " + states.map(\.rawValue).joined(separator: ", then ")
    }
}

/// One look at a fleet: the registry, two scans of what runs, the registry again.
struct FleetObservation: Sendable {
    var before: [String: InstanceRecord]
    /// Instances seen running in either scan.
    var seenRunning: Set<String>
    /// Instances seen running in both scans: there was an instant at which all of them ran.
    var runningTogether: Set<String>
    var after: [String: InstanceRecord]

    init(of fleet: some ObservedFleet) async throws {
        before = Self.byID(try await fleet.records())
        let first = try await fleet.runningInstanceIDs()
        let second = try await fleet.runningInstanceIDs()
        seenRunning = first.union(second)
        runningTogether = first.intersection(second)
        after = Self.byID(try await fleet.records())
    }

    func states(of id: String) -> [InstanceState] {
        [before[id]?.state, after[id]?.state].compactMap { $0 }
    }

    func service(of id: String) -> String? { after[id]?.service ?? before[id]?.service }

    /// The instances of `service` recorded serving in the second read.
    func serving(_ service: String) -> Set<String> {
        Set(after.values.filter { $0.service == service && $0.state == .serving }.map(\.id))
    }

    /// Instances running in both scans and recorded live in both reads.
    var liveAndRunning: Set<String> {
        runningTogether.filter { id in
            [before[id], after[id]].allSatisfy { $0?.state.isLive == true }
        }
    }

    private static func byID(_ records: [InstanceRecord]) -> [String: InstanceRecord] {
        Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
    }
}

/// Checks ``FleetInvariants`` over and over while a scenario runs, from its own task, and keeps every violation with
/// the time it was seen. Start it with ``start()``, end it with ``stop()``.
///
/// **Instances the test kills.** A process the test kills (SIGKILL to an instance, not to the controller) is a loss
/// the controller did not cause: until the controller notices, its record still says `serving` and the process check
/// leaves it out; once the controller has taken it out of service, the serving bound is lowered by one until one new
/// instance has come into service after that. The bound is about what the controller does: it must not retire an
/// instance while that would leave fewer than `replicas − maxUnavailable` serving, counting as serving the instances
/// it has not yet seen die. Announce the instances with ``killing(_:)`` before sending the signal.
actor InvariantSampler {
    struct Report: Sendable, CustomStringConvertible {
        var samples: Int
        /// Observations that could not be made (a registry read refused while the controller wrote).
        var unreadable: Int
        var violations: [String]
        /// The instances the test announced it killed.
        var killed: [String] = []

        var description: String {
            "\(samples) samples (\(unreadable) unreadable), \(violations.count) violations"
                + (killed.isEmpty ? "" : ", killed by the test: \(killed)")
                + (violations.isEmpty ? "" : ":\n" + violations.prefix(20).joined(separator: "\n"))
        }
    }

    let invariants: FleetInvariants
    let fleet: any ObservedFleet
    let interval: Duration
    private var converged: Bool
    private var task: Task<Void, Never>?
    private var report = Report(samples: 0, unreadable: 0, violations: [])
    private let started = ContinuousClock.now
    private var killed: Set<String> = []
    private var counted: Set<String> = []
    private var everServing: Set<String> = []
    private var lostCapacity = 0
    /// How ``lostCapacity`` moved, for the messages of the violations of the serving bound.
    private var ledger: [String] = []

    /// `converged`: whether the fleet has converged already; otherwise the lower bound applies from the first
    /// observation that finds `replicas` instances serving.
    init(
        _ invariants: FleetInvariants, watching fleet: some ObservedFleet, converged: Bool = false,
        interval: Duration = .milliseconds(100)
    ) {
        self.invariants = invariants
        self.fleet = fleet
        self.converged = converged
        self.interval = interval
    }

    func start() {
        guard task == nil else { return }
        task = Task { await self.run() }
    }

    /// Stops sampling and returns what was seen; ``sample()`` once more first, so the final state is checked too.
    func stop() async -> Report {
        task?.cancel()
        await task?.value
        task = nil
        await sample()
        return report
    }

    /// Announces instances the test is about to kill, chosen among those recorded serving; call it before sending
    /// the signal. (They count as having served even if no observation caught them serving.)
    func killing(_ ids: some Sequence<String>) {
        killed.formUnion(ids)
        everServing.formUnion(ids)
        report.killed += ids
    }

    /// The violations seen so far.
    var violations: [String] { report.violations }

    private func run() async {
        while !Task.isCancelled {
            await sample()
            try? await Task.sleep(for: interval)
        }
    }

    /// One observation, checked.
    func sample() async {
        let observation: FleetObservation
        do {
            observation = try await FleetObservation(of: fleet)
        } catch {
            report.unreadable += 1
            return
        }
        report.samples += 1
        let service = invariants.service
        // New instances in service first, then the killed ones the controller has taken out: when both happen
        // between two observations, the new one is not counted as the replacement (the lenient reading).
        let at = (ContinuousClock.now - started).formatted(
            .units(allowed: [.seconds], fractionalPart: .show(length: 1)))
        let serving = observation.serving(service)
        let newlyServing = serving.subtracting(everServing)
        // The first read came before the second found the new instances serving: they do not count for it.
        var lostInFirstRead = lostCapacity
        if lostCapacity > 0 && !newlyServing.isEmpty {
            lostCapacity = max(0, lostCapacity - newlyServing.count)
            ledger.append("\(at): \(newlyServing.sorted()) serving, \(lostCapacity) lost")
        }
        everServing.formUnion(serving)
        for id in killed.subtracting(counted) where everServing.contains(id) && !serving.contains(id) {
            counted.insert(id)
            lostCapacity += 1
            lostInFirstRead += 1
            ledger.append("\(at): killed \(id) out of service, \(lostCapacity) lost")
        }
        let found = invariants.violations(
            in: observation, checkingLowerBound: converged, killed: killed, lostCapacity: lostCapacity,
            lostCapacityInFirstRead: lostInFirstRead)
        let losses = ledger.isEmpty ? "" : " (losses: \(ledger.suffix(6).joined(separator: "; ")))"
        report.violations += found.map { "at \(at): \($0)\(losses)" }
        if !converged && serving.count >= invariants.replicas { converged = true }
    }
}

/// The instances that ran at the start of an outage (of the Git remote, a Docker host, etcd…): after it, every one
/// of them must still run with a live record. Instance IDs are never reused, so an instance destroyed during the
/// outage cannot reappear under its ID.
struct OutageWindow: Sendable {
    let before: Set<String>

    /// Notes what runs and is recorded live now; fails if nothing does (a window over nothing proves nothing).
    static func begin(_ fleet: some ObservedFleet) async throws -> OutageWindow {
        let running = try await FleetObservation(of: fleet).liveAndRunning
        try #require(!running.isEmpty, "no instance runs at the start of the outage")
        return OutageWindow(before: running)
    }

    /// Records an issue for every instance of the start that no longer runs with a live record; returns them.
    @discardableResult
    func expectNothingDestroyed(
        _ fleet: some ObservedFleet, during outage: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async throws -> Set<String> {
        let observation = try await FleetObservation(of: fleet)
        let gone = before.subtracting(observation.liveAndRunning)
        for id in gone.sorted() {
            let now = observation.after[id].map { "recorded \($0.state)" } ?? "no record"
            Issue.record(
                "\(id) ran before \(outage) and no longer runs with a live record (\(now))",
                sourceLocation: sourceLocation)
        }
        return gone
    }
}

extension InstanceRecord {
    fileprivate var summary: String { "\(id) \(state)" }
}

extension EmbeddedFleet: ObservedFleet {
    /// The instances of this fleet's runtime scope that run, found by the `GITFLEET_SCOPE` and `GITFLEET_INSTANCE_ID`
    /// in their environment (a zombie's environment reads empty, so it does not count).
    func runningInstanceIDs() async throws -> Set<String> {
        Self.runningInstances(scope: scope).reduce(into: []) { $0.insert($1.id) }
    }

    /// Every process of the scope `scope` with its instance ID.
    static func runningInstances(scope: String) -> [(id: String, pid: Int32)] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        let scopeEntry = Array("GITFLEET_SCOPE=\(scope)".utf8)
        let idPrefix = Array("GITFLEET_INSTANCE_ID=".utf8)
        var found: [(id: String, pid: Int32)] = []
        for entry in entries {
            guard let pid = Int32(entry), pid > 1,
                let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { continue }
            let variables = environ.split(separator: 0)
            guard variables.contains(where: { $0.elementsEqual(scopeEntry) }),
                let id = variables.first(where: { $0.starts(with: idPrefix) })
            else { continue }
            found.append((String(decoding: id.dropFirst(idPrefix.count), as: UTF8.self), pid))
        }
        return found
    }
}
