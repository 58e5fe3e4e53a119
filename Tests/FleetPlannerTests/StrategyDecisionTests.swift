import FleetModel
import Foundation
import Testing

@testable import FleetPlanner

@Suite("blueGreen and canary decisions")
struct StrategyDecisionTests {
    static func instance(_ id: String, _ state: InstanceState, updatedAt: Double = 0) -> RolloutSnapshot.Instance {
        RolloutSnapshot.Instance(id: id, state: state, createdAt: 0, updatedAt: updatedAt)
    }

    static func snapshot(current: [RolloutSnapshot.Instance], old: [RolloutSnapshot.Instance]) -> RolloutSnapshot {
        RolloutSnapshot(current: current, old: old, replicas: 3, maxSurge: 1, maxUnavailable: 0)
    }

    @Test("blueGreen starts the whole new set at once and switches nothing until all of it is healthy")
    func blueGreenBringsUpTheWholeSet() {
        let old = (0..<3).map { Self.instance("old-\($0)", .serving) }
        let start = BlueGreen.decide(Self.snapshot(current: [], old: old), scaleDownDelay: 30, now: 100)
        #expect(start == RolloutDecision(create: 3))
        let partly = BlueGreen.decide(
            Self.snapshot(current: [Self.instance("new-0", .ready), Self.instance("new-1", .starting)], old: old),
            scaleDownDelay: 30, now: 100)
        #expect(partly == RolloutDecision(create: 1))
    }

    @Test("blueGreen switches in one decision, keeps the old set for scaleDownDelay, then retires it")
    func blueGreenSwitchesThenScalesDown() {
        let ready = (0..<3).map { Self.instance("new-\($0)", .ready) }
        let oldServing = (0..<3).map { Self.instance("old-\($0)", .serving) }
        let switchNow = BlueGreen.decide(Self.snapshot(current: ready, old: oldServing), scaleDownDelay: 30, now: 100)
        #expect(switchNow.publish == ["new-0", "new-1", "new-2"])
        #expect(switchNow.unpublish == ["old-0", "old-1", "old-2"])
        #expect(switchNow.retire.isEmpty && switchNow.create == 0)

        let serving = (0..<3).map { Self.instance("new-\($0)", .serving) }
        let kept = (0..<3).map { Self.instance("old-\($0)", .ready, updatedAt: 100) }
        let waiting = BlueGreen.decide(Self.snapshot(current: serving, old: kept), scaleDownDelay: 30, now: 110)
        #expect(waiting.retire.isEmpty && waiting.notBefore == 130)
        let due = BlueGreen.decide(Self.snapshot(current: serving, old: kept), scaleDownDelay: 30, now: 130)
        #expect(due.retire == ["old-0", "old-1", "old-2"])
    }

    @Test("switching back to a kept set is one decision")
    func blueGreenSwitchesBack() {
        let kept = (0..<3).map { Self.instance("blue-\($0)", .ready, updatedAt: 100) }
        let green = (0..<3).map { Self.instance("green-\($0)", .serving) }
        let back = BlueGreen.decide(Self.snapshot(current: kept, old: green), scaleDownDelay: 30, now: 105)
        #expect(back.publish.count == 3 && back.unpublish.count == 3 && back.create == 0)
    }

    @Test(
        "canary steps run ceil(replicas × weight) new instances and keep the rest old",
        arguments: [(10, 1), (34, 2), (50, 2), (67, 3), (100, 3)])
    func canaryCounts(weight: Int, expected: Int) {
        #expect(Canary.instances(weight: weight, replicas: 3) == expected)
    }

    @Test("a canary step stops creating at its count and retires old instances only down to the rest")
    func canaryStep() {
        let old = (0..<3).map { Self.instance("old-\($0)", .serving) }
        let first = Canary.decide(Self.snapshot(current: [], old: old), weight: 10)
        #expect(first == RolloutDecision(create: 1))
        let canary = [Self.instance("new-0", .serving)]
        let second = Canary.decide(Self.snapshot(current: canary, old: old), weight: 10)
        #expect(second == RolloutDecision(create: 0, retire: ["old-0"]))
        let reached = Self.snapshot(current: canary, old: Array(old.dropFirst()))
        #expect(Canary.reached(reached, weight: 10))
        #expect(Canary.decide(reached, weight: 10).isEmpty)
        #expect(!Canary.reached(reached, weight: 50))
    }

    @Test("the steps end at 100 %")
    func stepsEndAtFull() {
        let steps = Canary.steps([RolloutPolicy.CanaryStep(weight: 20, pause: .seconds(5))])
        #expect(steps.map(\.weight) == [20, 100])
        #expect(Canary.steps([]).map(\.weight) == [100])
    }

    @Test("a gate is named by its step counted from 1 and the weight it holds; a step past the end reads as the last")
    func gates() {
        let since = Date(timeIntervalSince1970: 1_800_000_000)
        let steps = [
            RolloutPolicy.CanaryStep(weight: 20, pause: .seconds(60)),
            RolloutPolicy.CanaryStep(weight: 20, pause: .zero, gate: true),
        ]
        #expect(Canary.gate(at: 1, of: steps, since: since) == CanaryGate(step: 2, weight: 20, since: since))
        // The implied last step of 100 is never a gate; the steps run are the manifest's plus it.
        #expect(Canary.steps(steps).map(\.gate) == [false, true, false])
        #expect(Canary.gate(at: 7, of: steps, since: since) == CanaryGate(step: 3, weight: 100, since: since))
    }
}
