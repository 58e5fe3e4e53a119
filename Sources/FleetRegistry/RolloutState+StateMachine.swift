import FleetModel
import Foundation

/// The rollout state machine: every change of a ``RolloutState`` goes through one of these named transitions, so
/// the converger and `gitfleet retry` cannot disagree about what a phase means.
///
/// ```
///            begin / superseded                      converged
///   (none) ──────────────────────> progressing ─────────────────────> idle
///                                   │      │  fail(autoRollback)          ^
///            fail(no autoRollback)  │      └──────────> rollingBack ──────┼─ converged ──> rolledBack
///                                   v                   (or failed, when  │
///                                 failed ── converged ──  nothing good)   │
///        retry: failed / rolledBack / rollingBack ──> progressing         │
///        removed: any ──> (deleted)                                       │
///
///   progressing ── pause (a canary gate reached) ──> paused ── promote ──> progressing (next step)
///   progressing / paused ── abort (an operator) ──> rollingBack (the target is failed, as fail(autoRollback) does)
/// ```
///
/// Operator controls sit beside the phase rather than in it, because a suspended or pinned service still moves
/// through the phases (it heals, and a pinned one rolls to its pin like to any target):
/// ```
///   suspend: not suspended ──> suspended        resume: suspended ──> not suspended
///   pin (rollback SERVICE): no pin ──> pinned at the newest good spec the service is not at
///   released: pinned ──> no pin, once Git's desired spec is another than the one the pin was set against
/// ```
///
/// "Failed" has two forms and only this file reads or writes them: a spec that was rolled back from is kept in
/// ``RolloutState/failedSpecHashes`` and is not tried again until the spec changes or a retry is asked for; a
/// spec that failed with automatic rollback off stays the target (phase ``RolloutPhase/failed``) and is retried
/// with back-off. ``failedSpecs`` names both.
///
/// Pure: no clock (every transition takes `now`), no I/O. The caller writes the state to the registry.
extension RolloutState {
    /// What a pass rolls out for a service whose desired spec hashes to some value.
    public enum Target: Hashable, Sendable {
        /// The desired spec.
        case desired
        /// The last good spec, because the desired one failed and was rolled back from.
        case lastGood(ServiceSpec)
        /// Nothing: the desired spec failed and there is no good spec to return to.
        case none
    }

    /// A transition that happened, for logs and events.
    public enum Transition: Hashable, Sendable {
        /// A rollout to a new target began.
        case begun
        /// A rollout to a new target began while the previous target had not converged.
        case superseded(previous: SpecHash)
    }

    /// The state of a service the controller has never rolled out: a rollout to `target` begins.
    public static func begin(
        service: String, target: SpecHash, revision: String?, now: Date
    ) -> RolloutState {
        RolloutState(
            service: service, targetSpecHash: target, targetRevision: revision, phase: .progressing, startedAt: now)
    }

    /// What to roll out while Git asks for `desired`.
    public func target(desired: SpecHash) -> Target {
        guard failedSpecHashes.contains(desired) else { return .desired }
        return lastGoodSpec.map(Target.lastGood) ?? .none
    }

    /// Whether `desired` was rolled back from (or failed with nothing to roll back to) and is not being tried.
    public func isRolledBackFrom(_ desired: SpecHash) -> Bool {
        failedSpecHashes.contains(desired)
    }

    /// Every spec known to have failed: those rolled back from, and a target that failed with rollback off.
    public var failedSpecs: Set<SpecHash> {
        Self.failedSpecs(phase: phase, target: targetSpecHash, rolledBackFrom: failedSpecHashes)
    }

    /// ``failedSpecs`` of a rollout known only by these parts (as the live-state document tells it).
    public static func failedSpecs(phase: RolloutPhase, target: SpecHash, rolledBackFrom failed: Set<SpecHash>)
        -> Set<SpecHash>
    {
        phase == .failed ? failed.union([target]) : failed
    }

    /// Git asks for `desired`: begins a rollout to it unless it is the target already or failed before.
    ///
    /// Returns the transition made, or `nil` when the state stays as it is.
    @discardableResult
    public mutating func desire(_ desired: SpecHash, revision: String?, now: Date) -> Transition? {
        guard targetSpecHash != desired, !failedSpecHashes.contains(desired) else { return nil }
        let previous = targetSpecHash
        let wasMoving = phase == .progressing || phase == .paused
        targetSpecHash = desired
        targetRevision = revision
        phase = .progressing
        step = 0
        startedAt = now
        lastProgressAt = now
        message = nil
        return wasMoving ? .superseded(previous: previous) : .begun
    }

    /// Keeps `desired` (pinned) when it is the target, and forgets every kept spec that is neither the target nor
    /// failed, nor the last good one (``lastGoodSpec`` keeps that): the registry then holds the spec of every
    /// spec hash a rollout names, so the live-state document can hand them to a planner. Returns whether
    /// ``triedSpecs`` changed.
    @discardableResult
    public mutating func remember(_ desired: ServiceSpec) -> Bool {
        var kept = triedSpecs.filter { SpecHash($0) != SpecHash(desired) }
        if SpecHash(desired) == targetSpecHash { kept.append(desired) }
        let named = failedSpecHashes.union([targetSpecHash]).subtracting(lastGoodSpecHash.map { [$0] } ?? [])
        kept = kept.filter { named.contains(SpecHash($0)) }.sorted { SpecHash($0) < SpecHash($1) }
        guard kept != triedSpecs else { return false }
        triedSpecs = kept
        return true
    }

    /// Something moved (an instance created, promoted, retired or destroyed); the progress deadline restarts.
    /// Not at a canary gate, where no deadline runs and ``lastProgressAt`` keeps when the gate was reached.
    public mutating func progress(now: Date) {
        guard phase != .paused else { return }
        lastProgressAt = now
    }

    /// The strategy moves to step `next` (a canary weight). Reaching a step is not progress by itself: the
    /// instances it creates are.
    public mutating func advance(toStep next: Int) {
        step = next
    }

    /// Every live instance runs `target` and serves.
    ///
    /// When `desired` was rolled back from, `target` is the last good spec and the rollback is complete;
    /// otherwise `target` is the desired spec and becomes the last good one.
    public mutating func converged(on target: ServiceSpec, desired: SpecHash, revision: String?) {
        if failedSpecHashes.contains(desired) {
            phase = .rolledBack
            return
        }
        let hash = SpecHash(target)
        guard phase != .idle || lastGoodSpecHash != hash else { return }
        if let lastGoodSpec, lastGoodSpecHash != hash {
            previousGoodSpec = lastGoodSpec
            previousGoodRevision = lastGoodRevision
        }
        phase = .idle
        lastGoodSpecHash = hash
        lastGoodSpec = target
        lastGoodRevision = targetRevision ?? revision
        message = nil
    }

    /// The rollout of the target failed for `reason` (missed progress deadline, failing canary).
    ///
    /// With `autoRollback`, the target is remembered as failed and the last good spec is restored
    /// (``RolloutPhase/rollingBack``), or, with none, the rollout is ``RolloutPhase/failed``. Without it, as
    /// Kubernetes does with a missed progress deadline, nothing is rolled back: the phase says failed and the
    /// target stays, retried with back-off.
    public mutating func fail(reason: String, autoRollback: Bool) {
        message = reason
        if autoRollback {
            failedSpecHashes.insert(targetSpecHash)
            phase = lastGoodSpec == nil ? .failed : .rollingBack
        } else {
            phase = .failed
        }
    }

    /// A person asked for the failed specs to be tried again: a new rollout of the target with a fresh progress
    /// deadline. Returns the specs forgotten, or `nil` when nothing had failed (and nothing changed).
    public mutating func retry(now: Date) -> Set<SpecHash>? {
        let failed = failedSpecs
        guard !failed.isEmpty else { return nil }
        failedSpecHashes = []
        // A rollout waiting at a gate keeps waiting: only a promote moves it on.
        if phase != .paused { phase = .progressing }
        startedAt = now
        lastProgressAt = now
        message = nil
        return failed
    }

    /// An operator suspends the service: from the next pass no new spec rolls out to it. Returns `false` (and
    /// changes nothing) when it is suspended already, so the first suspension's who and why stay.
    public mutating func suspend(_ attribution: Attribution) -> Bool {
        guard suspended == nil else { return false }
        suspended = attribution
        return true
    }

    /// An operator lifts the suspension; returns it, or `nil` when the service was not suspended.
    public mutating func resume() -> Attribution? {
        defer { suspended = nil }
        return suspended
    }

    /// The spec the service runs (or is moving to) now: the last good one while a failed target is rolled
    /// back from, else the target.
    public var currentSpecHash: SpecHash {
        switch phase {
        case .rollingBack, .rolledBack: return lastGoodSpecHash ?? targetSpecHash
        case .idle, .progressing, .paused, .failed: return targetSpecHash
        }
    }

    /// Why `rollback SERVICE` cannot pin the service now.
    public enum RollbackRefusal: Error, Hashable, Sendable {
        /// No spec ever ran good other than the one the service is at.
        case noGoodSpec
        /// A rollback pins the service at that good spec already.
        case pinnedAlready(SpecHash)
    }

    /// What `rollback SERVICE` returns to: the newest good spec the service is not at — the last good one while a
    /// newer target rolls out (or failed), or the one before it once the newer target became the last good one.
    public var rollbackTarget: (spec: ServiceSpec, revision: String?)? {
        let current = currentSpecHash
        if let lastGoodSpec, SpecHash(lastGoodSpec) != current { return (lastGoodSpec, lastGoodRevision) }
        if let previousGoodSpec, SpecHash(previousGoodSpec) != current {
            return (previousGoodSpec, previousGoodRevision)
        }
        return nil
    }

    /// An operator rolls the service back: pins it at ``rollbackTarget`` until Git's desired spec changes from
    /// the target it has now. The reconcile loop then rolls to the pin like to any target, health-gated.
    public mutating func pin(_ attribution: Attribution) -> Result<RolloutPin, RollbackRefusal> {
        // Pinned, the service runs (or rolls to) the pin: only a commit moves it on.
        if let pin { return .failure(.pinnedAlready(pin.specHash)) }
        guard let (spec, revision) = rollbackTarget else { return .failure(.noGoodSpec) }
        let pin = RolloutPin(spec: spec, revision: revision, from: targetSpecHash, attribution: attribution)
        self.pin = pin
        return .success(pin)
    }

    /// Git asks for `desired`: a pin set against another desired spec is released (and returned), so the new
    /// commit rolls out; `nil` when there is no pin or it still holds.
    public mutating func releasePin(desired: SpecHash) -> RolloutPin? {
        guard let pin, desired != pin.from else { return nil }
        self.pin = nil
        return pin
    }

    /// A canary reached a gate step (`pause: {}`): it holds there, its instances serving at the step's weight, until
    /// ``promote(now:)``; the progress deadline does not run meanwhile. Returns whether the phase changed (once per
    /// gate).
    @discardableResult
    public mutating func pause(now: Date) -> Bool {
        guard phase == .progressing else { return false }
        phase = .paused
        lastProgressAt = now
        return true
    }

    /// When the rollout reached the canary gate it waits at; `nil` when it waits at none. Kept in
    /// ``lastProgressAt``, which nothing moves while the rollout waits, so the stored state needs no field of its
    /// own (and the registries no new column).
    public var pausedSince: Date? { phase == .paused ? lastProgressAt : nil }

    /// An operator promoted the rollout past the gate it waits at: the next step begins, with a fresh progress
    /// deadline. Returns the step it moves to, or `nil` when the rollout waits at no gate (and nothing changed).
    public mutating func promote(now: Date) -> Int? {
        guard phase == .paused else { return nil }
        phase = .progressing
        step += 1
        lastProgressAt = now
        return step
    }

    /// The rollout waits at a gate that its manifest no longer has (the steps or the strategy changed, which
    /// leaves the spec hash as it was): it goes on as if promoted there, from the step it stands at.
    public mutating func gateRemoved(now: Date) {
        guard phase == .paused else { return }
        phase = .progressing
        lastProgressAt = now
    }

    /// Why ``abort(reason:)`` did nothing.
    public enum AbortRefusal: Hashable, Sendable {
        /// No rollout is under way (converged, rolling back, rolled back or failed).
        case notInFlight(RolloutPhase)
        /// The rollout is the service's first: there is no good spec to go back to.
        case nothingToRestore
    }

    /// An operator aborted the rollout (progressing, or paused at a gate): the target is failed as an automatic
    /// rollback fails it (not tried again until the spec changes or a retry is asked for) and the last good spec
    /// is restored at once, whatever `autoRollback` says. Refused, changing nothing, when there is nothing to abort.
    public mutating func abort(reason: String) -> AbortRefusal? {
        guard phase == .progressing || phase == .paused else { return .notInFlight(phase) }
        guard lastGoodSpec != nil, lastGoodSpecHash != targetSpecHash else { return .nothingToRestore }
        fail(reason: reason, autoRollback: true)
        return nil
    }

    /// The service left Git: its rollout state is deleted, with the registry change that does it.
    public var removal: RegistryChange { .deleteRolloutState(service: service) }

    /// The phase in the vocabulary the API and the CLI share, as far as the stored state alone tells it.
    public var servicePhase: ServicePhase { phase.servicePhase }
}

extension RolloutPhase {
    /// The phase in the vocabulary the API and the CLI share, as far as the stored phase alone tells it.
    public var servicePhase: ServicePhase {
        switch self {
        case .idle: return .converged
        case .progressing: return .inProgress
        case .paused: return .paused
        case .rollingBack: return .rollingBack
        case .rolledBack: return .rolledBack
        case .failed: return .failed
        }
    }
}
