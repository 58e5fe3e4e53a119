import FleetModel
import FleetRegistry
import Foundation
import Testing

/// The operator controls of the rollout state machine: suspend/resume and the rollback pin.
@Suite("RolloutState+StateMachine: suspend, resume, rollback pin")
struct RolloutControlsStateMachineTests {
    typealias Fixture = RolloutStateMachineTests
    static let alice = Attribution(by: "alice", at: Fixture.t0, reason: "incident #42")
    static let bob = Attribution(by: "bob", at: Fixture.t0.addingTimeInterval(30))

    /// web converged on v1, then on v2: v2 is the last good spec and v1 the one before it.
    static func convergedOnV2() -> RolloutState {
        var state = Fixture.rollingToV2()
        state.converged(on: Fixture.v2, desired: SpecHash(Fixture.v2), revision: "c2")
        return state
    }

    @Test("suspend once, keep the first who and why, resume returns the suspension and clears it")
    func suspendResume() {
        var state = Self.convergedOnV2()
        let first = state.suspend(Self.alice)
        let second = state.suspend(Self.bob)
        #expect(first && !second, "suspended already")
        #expect(state.suspended == Self.alice)
        let lifted = state.resume()
        #expect(lifted == Self.alice && state.suspended == nil)
        let again = state.resume()
        #expect(again == nil, "not suspended")
    }

    @Test("a newer spec that converged keeps the one before it as the previous good spec")
    func previousGood() {
        let state = Self.convergedOnV2()
        #expect(state.lastGoodSpec == Fixture.v2)
        #expect(state.previousGoodSpec == Fixture.v1 && state.previousGoodRevision == "c1")
        #expect(state.rollbackTarget?.spec == Fixture.v1)
    }

    @Test("rollback after a good deploy pins the previous good spec, against the desired spec of the moment")
    func pinAfterGoodDeploy() throws {
        var state = Self.convergedOnV2()
        let pin = try state.pin(Self.alice).get()
        #expect(pin.spec == Fixture.v1 && pin.revision == "c1" && pin.from == SpecHash(Fixture.v2))
        #expect(state.pin == pin)
        let twice = state.pin(Self.bob)
        #expect(twice == .failure(.pinnedAlready(SpecHash(Fixture.v1))))
        // The converger rolls to the pin like to any target; it stays pinned, and cannot be pinned again.
        state.desire(SpecHash(Fixture.v1), revision: "c2", now: Fixture.t0.addingTimeInterval(100))
        state.converged(on: Fixture.v1, desired: SpecHash(Fixture.v1), revision: "c2")
        let thrice = state.pin(Self.bob)
        #expect(thrice == .failure(.pinnedAlready(SpecHash(Fixture.v1))))
        let holds = state.releasePin(desired: SpecHash(Fixture.v2))
        #expect(holds == nil, "Git still asks for v2: the pin holds")
        let released = state.releasePin(desired: SpecHash(Fixture.v3))
        #expect(released == pin, "a commit asks for v3: released")
        #expect(state.pin == nil)
    }

    @Test("rollback while a newer target rolls out pins the last good spec")
    func pinDuringRollout() throws {
        var state = Fixture.rollingToV2()
        let pin = try state.pin(Self.alice).get()
        #expect(pin.spec == Fixture.v1 && pin.from == SpecHash(Fixture.v2))
    }

    @Test("rollback with no good spec but the one running is refused, and changes nothing")
    func nothingToRollBackTo() {
        var state = RolloutState.begin(service: "web", target: SpecHash(Fixture.v1), revision: "c1", now: Fixture.t0)
        let fresh = state.pin(Self.alice)
        #expect(fresh == .failure(.noGoodSpec))
        state.converged(on: Fixture.v1, desired: SpecHash(Fixture.v1), revision: "c1")
        let before = state
        let converged = state.pin(Self.alice)
        #expect(converged == .failure(.noGoodSpec))
        #expect(state == before)
    }

    @Test("a rolled-back service runs its last good spec: rollback goes to the good spec before that")
    func pinAfterAutomaticRollback() throws {
        var state = Self.convergedOnV2()
        state.desire(SpecHash(Fixture.v3), revision: "c3", now: Fixture.t0.addingTimeInterval(200))
        state.fail(reason: "deadline", autoRollback: true)
        state.converged(on: Fixture.v2, desired: SpecHash(Fixture.v3), revision: "c3")
        #expect(state.phase == .rolledBack && state.currentSpecHash == SpecHash(Fixture.v2))
        let pin = try state.pin(Self.alice).get()
        #expect(pin.spec == Fixture.v1)
    }

    @Test("controls survive a JSON round trip, and states written before them decode without them")
    func coding() throws {
        var state = Self.convergedOnV2()
        _ = state.suspend(Self.alice)
        _ = state.pin(Self.bob)
        let decoded = try JSONDecoder().decode(RolloutState.self, from: try JSONEncoder().encode(state))
        #expect(decoded == state)
        var old = Fixture.rollingToV2()
        old.previousGoodSpec = nil
        let json = String(decoding: try JSONEncoder().encode(old), as: UTF8.self)
        #expect(!json.contains("suspended") && !json.contains("pin"))
        #expect(try JSONDecoder().decode(RolloutState.self, from: Data(json.utf8)) == old)
    }
}
