import FleetModel
import Foundation
import Testing

@testable import FleetPlanner

@Suite("Planner decides one action per service")
struct PlannerTests {
    let web = Fixture.spec("web", image: "demo/web:1.1.0", replicas: 3)
    let oldWeb = Fixture.spec("web", image: "demo/web:1.0.0", replicas: 3)

    private func onlyAction(_ desired: [ServiceSpec], _ observed: [InstanceRecord], policy: PlanPolicy = .init())
        throws -> ServiceAction
    {
        let plan = Planner.plan(desired: Fixture.fleet(desired), observed: observed, policy: policy)
        try #require(plan.actions.count == 1)
        return plan.actions[0]
    }

    @Test func createsAServiceWithNoLiveInstances() throws {
        let action = try onlyAction([web], [])
        #expect(action.kind == .create)
        #expect((action.create, action.destroy, action.keep, action.replicas) == (3, 0, 0, 3))
        #expect(action.fromImage == nil)
        #expect(action.toImage == "demo/web:1.1.0")
        #expect(action.fromSpecHash == nil)
        #expect(action.toSpecHash == SpecHash(web))
        #expect(action.reason == "not running; start 3 instances")
    }

    @Test func zeroReplicasAndNothingRunningIsUnchanged() throws {
        var idle = web
        idle.replicas = 0
        let action = try onlyAction([idle], [])
        #expect(action.kind == .unchanged)
        #expect((action.create, action.destroy, action.keep) == (0, 0, 0))
        #expect(action.reason == "replicas 0: nothing to run")
        #expect(!action.isHeldBack)
    }

    @Test func replacesWhenTheImageChanges() throws {
        let action = try onlyAction([web], Fixture.instances(3, of: oldWeb))
        #expect(action.kind == .replace)
        #expect((action.create, action.destroy, action.keep) == (3, 3, 0))
        #expect(action.fromImage == "demo/web:1.0.0")
        #expect(action.toImage == "demo/web:1.1.0")
        #expect(action.fromSpecHash == SpecHash(oldWeb))
        #expect(action.toSpecHash == SpecHash(web))
        #expect(action.reason == "image demo/web:1.0.0 → demo/web:1.1.0")
    }

    @Test func replacesWhenOnlyOtherFieldsOfTheSpecChange() throws {
        var tuned = oldWeb
        tuned.env = ["LOG_LEVEL": "debug"]
        let action = try onlyAction([tuned], Fixture.instances(3, of: oldWeb))
        #expect(action.kind == .replace)
        #expect(action.reason == "spec changed")
        #expect(action.fromImage == action.toImage)
    }

    @Test func aPinnedDigestOfTheSameTagIsNotAnImageChange() throws {
        var tuned = oldWeb
        tuned.env = ["LOG_LEVEL": "debug"]
        let pinned = "demo/web:1.0.0@sha256:" + String(repeating: "ab", count: 32)
        let action = try onlyAction([tuned], Fixture.instances(3, of: oldWeb, image: pinned))
        #expect(action.reason == "spec changed")
        #expect(action.fromImage == pinned)
    }

    @Test func aDifferentDigestUnderTheSameTagIsAnImageChange() throws {
        let old = "demo/web:1.0.0@sha256:" + String(repeating: "ab", count: 32)
        let new = "demo/web:1.0.0@sha256:" + String(repeating: "cd", count: 32)
        let desired = Fixture.spec("web", image: new, replicas: 3)
        let action = try onlyAction([desired], Fixture.instances(3, of: oldWeb, image: old))
        #expect(action.reason == "image \(old) → \(new)")
    }

    @Test func replaceCountsInstancesAlreadyOnTheNewSpecAsKept() throws {
        let observed = Fixture.instances(2, of: oldWeb, prefix: "old") + Fixture.instances(1, of: web, prefix: "new")
        let action = try onlyAction([web], observed)
        #expect(action.kind == .replace)
        #expect((action.create, action.destroy, action.keep) == (2, 2, 1))
        // The image being replaced, not the one most instances will end up on.
        #expect(action.fromImage == "demo/web:1.0.0")
        #expect(action.fromSpecHash == SpecHash(oldWeb))
        #expect(action.reason == "image demo/web:1.0.0 → demo/web:1.1.0 (1 of 3 already on the new spec)")
    }

    @Test func replaceDestroysSurplusInstancesOfTheNewSpec() throws {
        // Mid-rollout with a surge: four on the new spec, one left on the old one, three wanted.
        let observed = Fixture.instances(1, of: oldWeb, prefix: "old") + Fixture.instances(4, of: web, prefix: "new")
        let action = try onlyAction([web], observed)
        #expect(action.kind == .replace)
        #expect((action.create, action.destroy, action.keep) == (0, 2, 3))
    }

    @Test func replaceThatAlsoScalesSaysSo() throws {
        var bigger = web
        bigger.replicas = 5
        let action = try onlyAction([bigger], Fixture.instances(3, of: oldWeb))
        #expect((action.kind, action.create, action.destroy, action.keep) == (.replace, 5, 3, 0))
        #expect(action.reason == "image demo/web:1.0.0 → demo/web:1.1.0, replicas 3 → 5")
    }

    @Test(
        "scaling with the spec unchanged",
        arguments: [
            (live: 3, replicas: 5, kind: ServiceAction.Kind.scaleUp, create: 2, destroy: 0, keep: 3),
            (live: 5, replicas: 2, kind: .scaleDown, create: 0, destroy: 3, keep: 2),
            (live: 2, replicas: 0, kind: .scaleDown, create: 0, destroy: 2, keep: 0),
            (live: 3, replicas: 3, kind: .unchanged, create: 0, destroy: 0, keep: 3),
        ])
    func scales(live: Int, replicas: Int, kind: ServiceAction.Kind, create: Int, destroy: Int, keep: Int) throws {
        var desired = web
        desired.replicas = replicas
        // Replicas are not in the spec hash: the instances of `web` match `desired`.
        let action = try onlyAction([desired], Fixture.instances(live, of: web))
        #expect(action.kind == kind)
        #expect((action.create, action.destroy, action.keep, action.replicas) == (create, destroy, keep, replicas))
        #expect(action.fromSpecHash == SpecHash(web))
        #expect(action.toSpecHash == SpecHash(web))
        #expect(action.fromImage == "demo/web:1.1.0")
        let expectedReason = kind == .unchanged ? "3 instances on the desired spec" : "replicas \(live) → \(replicas)"
        #expect(action.reason == expectedReason)
    }

    @Test func removesServicesNoLongerInGitAfterTheDesiredOnesByName() {
        let zeta = Fixture.spec("zeta", image: "demo/zeta:1.0.0")
        let alpha = Fixture.spec("alpha", image: "demo/alpha:1.0.0")
        let observed =
            Fixture.instances(2, of: zeta) + Fixture.instances(1, of: alpha) + Fixture.instances(3, of: web)
        let plan = Planner.plan(desired: Fixture.fleet([web]), observed: observed)
        #expect(plan.actions.map(\.service) == ["web", "alpha", "zeta"])
        let zetaRemoval = plan.actions[2]
        #expect(zetaRemoval.kind == .remove)
        #expect((zetaRemoval.create, zetaRemoval.destroy, zetaRemoval.keep, zetaRemoval.replicas) == (0, 2, 0, 0))
        #expect(zetaRemoval.fromImage == "demo/zeta:1.0.0")
        #expect(zetaRemoval.toImage == nil)
        #expect(zetaRemoval.fromSpecHash == SpecHash(zeta))
        #expect(zetaRemoval.toSpecHash == nil)
        #expect(zetaRemoval.reason == "no longer in Git")
    }

    @Test func aRemovedServiceWithNothingLiveNeedsNoAction() {
        let gone = Fixture.spec("gone")
        let observed = Fixture.instances(2, of: gone, state: .stopped) + Fixture.instances(1, of: gone, state: .failed)
        let plan = Planner.plan(desired: Fixture.fleet([]), observed: observed)
        #expect(plan.actions.isEmpty)
        #expect(!plan.hasChanges)
    }

    @Test(
        "instances that are not live do not count",
        arguments: InstanceState.allCases.filter { !$0.isLive })
    func nonLiveInstancesAreIgnored(state: InstanceState) throws {
        let current = try onlyAction(
            [web], Fixture.instances(3, of: web) + Fixture.instances(2, of: oldWeb, state: state, prefix: "dead"))
        #expect(current.kind == .unchanged)
        #expect(current.keep == 3)

        let nothingLive = try onlyAction([web], Fixture.instances(3, of: web, state: state))
        #expect(nothingLive.kind == .create)
        #expect(nothingLive.create == 3)
    }

    @Test(
        "instances on their way in or out count as live",
        arguments: InstanceState.allCases.filter(\.isLive))
    func liveStatesCount(state: InstanceState) throws {
        let action = try onlyAction([web], Fixture.instances(3, of: web, state: state))
        #expect(action.kind == .unchanged)
        #expect(action.keep == 3)
    }

    @Test func aFailedSpecIsNotRetried() throws {
        let policy = PlanPolicy(failedSpecHashes: ["web": [SpecHash(web)]])
        let action = try onlyAction([web], Fixture.instances(3, of: oldWeb), policy: policy)
        #expect(action.kind == .unchanged)
        #expect((action.create, action.destroy, action.keep) == (0, 0, 3))
        #expect(action.fromSpecHash == SpecHash(oldWeb))
        #expect(action.toSpecHash == SpecHash(web))
        #expect(
            action.reason
                == "spec \(SpecHash(web).short) failed before; not retried until the spec changes or a retry is asked for"
        )
        #expect(action.isHeldBack)
    }

    @Test func aFailedSpecOfANewServiceIsNotRetriedEither() throws {
        let policy = PlanPolicy(failedSpecHashes: ["web": [SpecHash(web)]])
        let action = try onlyAction([web], Fixture.instances(2, of: web, state: .quarantined), policy: policy)
        #expect(action.kind == .unchanged)
        #expect(action.create == 0)
        #expect(action.isHeldBack)
    }

    @Test func aChangedSpecOrARetryRollsOutAgain() throws {
        let failedBefore = PlanPolicy(failedSpecHashes: ["web": [SpecHash(oldWeb)]])
        let changed = try onlyAction([web], Fixture.instances(3, of: oldWeb), policy: failedBefore)
        #expect(changed.kind == .replace)

        let retry = PlanPolicy(failedSpecHashes: ["web": [SpecHash(web)]], retrying: ["web"])
        let retried = try onlyAction([web], Fixture.instances(3, of: oldWeb), policy: retry)
        #expect(retried.kind == .replace)
        #expect(!retried.isHeldBack)

        let otherService = PlanPolicy(failedSpecHashes: ["api": [SpecHash(web)]])
        #expect(try onlyAction([web], Fixture.instances(3, of: oldWeb), policy: otherService).kind == .replace)
    }

    @Test func theMostCommonImageWinsAndTiesGoToTheSmallestName() throws {
        let observed =
            Fixture.instances(2, of: oldWeb, image: "demo/web:0.9.0", prefix: "b")
            + Fixture.instances(2, of: oldWeb, image: "demo/web:0.8.0", prefix: "a")
            + Fixture.instances(1, of: oldWeb, image: "demo/web:1.0.0", prefix: "c")
        for ordering in [observed, observed.reversed()] {
            let action = try onlyAction([web], ordering)
            #expect(action.fromImage == "demo/web:0.8.0")
        }
    }
}
