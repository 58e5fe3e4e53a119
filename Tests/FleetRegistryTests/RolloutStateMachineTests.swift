import FleetModel
import FleetRegistry
import Foundation
import Testing

@Suite("RolloutState+StateMachine: named transitions")
struct RolloutStateMachineTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static func spec(_ tag: String) -> ServiceSpec {
        ServiceSpec(name: "web", image: ImageReference(repository: "shop/web", tag: tag), replicas: 2)
    }
    static let v1 = spec("1.0.0")
    static let v2 = spec("2.0.0")
    static let v3 = spec("3.0.0")

    /// web converged on v1, then Git asks for v2.
    static func rollingToV2() -> RolloutState {
        var state = RolloutState.begin(service: "web", target: SpecHash(v1), revision: "c1", now: t0)
        state.converged(on: v1, desired: SpecHash(v1), revision: "c1")
        state.desire(SpecHash(v2), revision: "c2", now: t0.addingTimeInterval(60))
        return state
    }

    @Test("begin, progress, converged: the target becomes the last good spec")
    func happyPath() {
        var state = RolloutState.begin(service: "web", target: SpecHash(Self.v1), revision: "c1", now: Self.t0)
        #expect(state.phase == .progressing && state.servicePhase == .inProgress)
        #expect(state.target(desired: SpecHash(Self.v1)) == .desired)
        state.progress(now: Self.t0.addingTimeInterval(5))
        #expect(state.lastProgressAt == Self.t0.addingTimeInterval(5))
        state.converged(on: Self.v1, desired: SpecHash(Self.v1), revision: "c1")
        #expect(state.phase == .idle && state.servicePhase == .converged)
        #expect(state.lastGoodSpecHash == SpecHash(Self.v1) && state.lastGoodSpec == Self.v1)
        #expect(state.lastGoodRevision == "c1" && state.message == nil)
        #expect(state.desire(SpecHash(Self.v1), revision: "c1", now: Self.t0) == nil, "same target: no transition")
    }

    @Test("a new target while idle begins; while progressing it supersedes, with a fresh deadline and step 0")
    func superseded() {
        var state = Self.rollingToV2()
        #expect(state.phase == .progressing && state.targetRevision == "c2")
        state.advance(toStep: 2)
        let later = Self.t0.addingTimeInterval(120)
        #expect(state.desire(SpecHash(Self.v3), revision: "c3", now: later) == .superseded(previous: SpecHash(Self.v2)))
        #expect(state.targetSpecHash == SpecHash(Self.v3) && state.step == 0)
        #expect(state.startedAt == later && state.lastProgressAt == later)
        #expect(state.lastGoodSpecHash == SpecHash(Self.v1), "the last good spec survives a supersede")
    }

    @Test("fail with automatic rollback: rolling back to the last good spec, then rolled back; not retried")
    func failWithRollback() {
        var state = Self.rollingToV2()
        state.fail(reason: "no progress within progressDeadline 10m", autoRollback: true)
        #expect(state.phase == .rollingBack && state.servicePhase == .rollingBack)
        #expect(state.failedSpecs == [SpecHash(Self.v2)])
        #expect(state.target(desired: SpecHash(Self.v2)) == .lastGood(Self.v1))
        #expect(state.isRolledBackFrom(SpecHash(Self.v2)))
        state.converged(on: Self.v1, desired: SpecHash(Self.v2), revision: "c2")
        #expect(state.phase == .rolledBack && state.servicePhase == .rolledBack)
        #expect(state.lastGoodSpecHash == SpecHash(Self.v1), "the rollback target stays the last good spec")
        #expect(
            state.desire(SpecHash(Self.v2), revision: "c2", now: Self.t0) == nil, "a failed spec is not begun again")
        #expect(state.message == "no progress within progressDeadline 10m")
        // A changed spec is a new rollout.
        #expect(state.desire(SpecHash(Self.v3), revision: "c3", now: Self.t0) == .begun)
        #expect(state.target(desired: SpecHash(Self.v3)) == .desired)
    }

    @Test("fail with automatic rollback and nothing good: failed, with nothing to roll out")
    func failWithoutLastGood() {
        var state = RolloutState.begin(service: "web", target: SpecHash(Self.v1), revision: "c1", now: Self.t0)
        state.fail(reason: "crashed", autoRollback: true)
        #expect(state.phase == .failed && state.servicePhase == .failed)
        #expect(state.target(desired: SpecHash(Self.v1)) == .none)
    }

    @Test("fail without automatic rollback: failed, the target stays and is tried again")
    func failHeld() {
        var state = Self.rollingToV2()
        state.fail(reason: "held", autoRollback: false)
        #expect(state.phase == .failed)
        #expect(state.failedSpecHashes.isEmpty, "not remembered as rolled back from")
        #expect(state.failedSpecs == [SpecHash(Self.v2)], "yet named as failed")
        #expect(state.target(desired: SpecHash(Self.v2)) == .desired)
        state.converged(on: Self.v2, desired: SpecHash(Self.v2), revision: "c2")
        #expect(state.phase == .idle && state.lastGoodSpecHash == SpecHash(Self.v2), "it may still converge later")
    }

    @Test("retry forgets both forms of failure and begins again with a fresh deadline", arguments: [true, false])
    func retry(autoRollback: Bool) throws {
        var state = Self.rollingToV2()
        state.fail(reason: "boom", autoRollback: autoRollback)
        let now = Self.t0.addingTimeInterval(600)
        let retried = state.retry(now: now)
        let forgotten = try #require(retried)
        #expect(forgotten == [SpecHash(Self.v2)])
        #expect(state.phase == .progressing && state.failedSpecs.isEmpty && state.message == nil)
        #expect(state.startedAt == now && state.lastProgressAt == now)
        #expect(state.target(desired: SpecHash(Self.v2)) == .desired)
        #expect(state.retry(now: now) == nil, "nothing left to retry")
    }

    @Test("remember keeps the spec of the target and of each failed spec, but not the last good one")
    func remember() {
        var state = Self.rollingToV2()
        var changed = state.remember(Self.v2)
        #expect(changed && state.triedSpecs == [Self.v2])
        changed = state.remember(Self.v2)
        #expect(!changed, "nothing new: unchanged, so the registry is not written")
        state.fail(reason: "no progress within progressDeadline 10m", autoRollback: true)
        state.converged(on: Self.v1, desired: SpecHash(Self.v2), revision: "c2")
        changed = state.remember(Self.v2)
        #expect(!changed, "the failed target stays kept while it is held back")

        // Git moves on: the held-back spec is kept beside the new target.
        state.desire(SpecHash(Self.v3), revision: "c3", now: Self.t0.addingTimeInterval(300))
        changed = state.remember(Self.v3)
        #expect(changed && Set(state.triedSpecs) == [Self.v2, Self.v3])
        #expect(state.triedSpecs.map(SpecHash.init) == state.triedSpecs.map(SpecHash.init).sorted())

        // A retry forgets the failure, so the spec goes with it; a converged target is the last good spec.
        _ = state.retry(now: Self.t0.addingTimeInterval(400))
        changed = state.remember(Self.v3)
        #expect(changed && state.triedSpecs == [Self.v3])
        state.converged(on: Self.v3, desired: SpecHash(Self.v3), revision: "c3")
        changed = state.remember(Self.v3)
        #expect(changed && state.triedSpecs.isEmpty && state.lastGoodSpec == Self.v3)

        // A desired spec that is not the target (held back, the last good one runs) is not kept as the target.
        var held = Self.rollingToV2()
        held.fail(reason: "canary failed", autoRollback: true)
        held.desire(SpecHash(Self.v2), revision: "c2", now: Self.t0)
        changed = held.remember(Self.v1)
        #expect(!changed && held.triedSpecs.isEmpty)
    }

    @Test("pause at a gate: once, with when; the state survives a round trip through the registry's coding")
    func pauseAtAGate() throws {
        var state = Self.rollingToV2()
        state.advance(toStep: 1)
        let at = Self.t0.addingTimeInterval(90)
        let paused = state.pause(now: at)
        #expect(paused)
        #expect(state.phase == .paused && state.servicePhase == .paused && state.pausedSince == at && state.step == 1)
        let again = state.pause(now: at.addingTimeInterval(5))
        #expect(!again, "paused already: no second transition")
        #expect(state.pausedSince == at)
        state.progress(now: at.addingTimeInterval(30))
        #expect(state.pausedSince == at, "at a gate no deadline runs: progress leaves when it was reached")
        let decoded = try JSONDecoder().decode(RolloutState.self, from: JSONEncoder().encode(state))
        #expect(decoded == state)
        var idle = RolloutState.begin(service: "web", target: SpecHash(Self.v1), revision: nil, now: Self.t0)
        idle.converged(on: Self.v1, desired: SpecHash(Self.v1), revision: nil)
        let idlePaused = idle.pause(now: at)
        #expect(!idlePaused && idle.phase == .idle, "only a rollout in progress pauses")
    }

    @Test("promote: only from a gate, to the next step with a fresh progress deadline")
    func promote() {
        var state = Self.rollingToV2()
        #expect(state.promote(now: Self.t0) == nil, "progressing, not paused: nothing to promote")
        state.advance(toStep: 1)
        state.pause(now: Self.t0.addingTimeInterval(90))
        let at = Self.t0.addingTimeInterval(3_600)
        #expect(state.promote(now: at) == 2)
        #expect(
            state.phase == .progressing && state.step == 2 && state.pausedSince == nil && state.lastProgressAt == at)
        #expect(state.promote(now: at) == nil, "one promote leaves one gate")
    }

    @Test(
        "abort while paused or progressing: the target is failed and the last good spec restored",
        arguments: [
            true, false,
        ])
    func abort(paused: Bool) {
        var state = Self.rollingToV2()
        if paused { state.pause(now: Self.t0.addingTimeInterval(90)) }
        #expect(state.abort(reason: "aborted by alice") == nil)
        #expect(state.phase == .rollingBack && state.pausedSince == nil && state.message == "aborted by alice")
        #expect(
            state.isRolledBackFrom(SpecHash(Self.v2)) && state.target(desired: SpecHash(Self.v2)) == .lastGood(Self.v1))
        #expect(state.abort(reason: "again") == .notInFlight(.rollingBack))
        state.converged(on: Self.v1, desired: SpecHash(Self.v2), revision: "c2")
        #expect(state.phase == .rolledBack)
        #expect(state.desire(SpecHash(Self.v2), revision: "c2", now: Self.t0) == nil, "aborted spec is not retried")
    }

    @Test("abort refuses a first rollout (nothing to restore) and a converged one")
    func abortRefused() {
        var first = RolloutState.begin(service: "web", target: SpecHash(Self.v1), revision: "c1", now: Self.t0)
        #expect(first.abort(reason: "x") == .nothingToRestore && first.phase == .progressing)
        first.converged(on: Self.v1, desired: SpecHash(Self.v1), revision: "c1")
        #expect(first.abort(reason: "x") == .notInFlight(.idle) && first.phase == .idle)
    }

    @Test("a new target while paused supersedes the gate; a retry while paused keeps waiting")
    func pausedThenNewTargetOrRetry() {
        var state = Self.rollingToV2()
        state.pause(now: Self.t0.addingTimeInterval(90))
        var superseded = state
        #expect(
            superseded.desire(SpecHash(Self.v3), revision: "c3", now: Self.t0)
                == .superseded(previous: SpecHash(Self.v2)))
        #expect(superseded.phase == .progressing && superseded.pausedSince == nil && superseded.step == 0)
        state.failedSpecHashes = [SpecHash(Self.v3)]
        #expect(state.retry(now: Self.t0) == [SpecHash(Self.v3)])
        #expect(state.phase == .paused)
    }

    @Test("removed: the registry change deletes the service's rollout state")
    func removed() {
        #expect(Self.rollingToV2().removal == .deleteRolloutState(service: "web"))
    }

    @Test("every stored phase maps to a service phase of the shared vocabulary")
    func vocabulary() {
        let mapped = RolloutPhase.allCases.map { phase -> ServicePhase in
            var state = RolloutState.begin(service: "web", target: SpecHash(Self.v1), revision: nil, now: Self.t0)
            state.phase = phase
            return state.servicePhase
        }
        #expect(mapped == [.converged, .inProgress, .paused, .rollingBack, .rolledBack, .failed])
    }
}
