import FleetModel
import Foundation
import GitFleetTesting
import Testing

@testable import FleetPlanner

@Suite("Plans are ordered by dependencies and deterministic")
struct PlanOrderTests {
    private func order(_ services: [ServiceSpec]) -> [String] {
        Planner.plan(desired: Fixture.fleet(services), observed: []).actions.map(\.service)
    }

    @Test func dependenciesComeFirstAndTiesGoByName() {
        let services = [
            Fixture.spec("web", dependsOn: ["api"]),
            Fixture.spec("api", dependsOn: ["db-migrate"]),
            Fixture.spec("db-migrate"),
            Fixture.spec("cache"),
            Fixture.spec("zz-batch"),
        ]
        #expect(order(services) == ["cache", "db-migrate", "api", "web", "zz-batch"])
    }

    @Test func aDiamondRunsTheSharedDependencyOnceAndFirst() {
        // base ← left, right ← top; "a-solo" is independent and sorts first.
        let services = [
            Fixture.spec("top", dependsOn: ["right", "left"]),
            Fixture.spec("right", dependsOn: ["base"]),
            Fixture.spec("left", dependsOn: ["base"]),
            Fixture.spec("base"),
            Fixture.spec("a-solo"),
        ]
        #expect(order(services) == ["a-solo", "base", "left", "right", "top"])
    }

    @Test func aServiceThatBecomesReadyLaterStillSortsByName() {
        // "b" is ready only after "a"; it must then go before "y", which was ready all along.
        let services = [Fixture.spec("b", dependsOn: ["a"]), Fixture.spec("a"), Fixture.spec("y")]
        #expect(order(services) == ["a", "b", "y"])
    }

    @Test func dependenciesOutsideTheFleetAreIgnored() {
        let services = [Fixture.spec("web", dependsOn: ["external", "web"]), Fixture.spec("api")]
        #expect(order(services) == ["api", "web"])
    }

    @Test func aCycleFallsBackToNameOrderWithoutLooping() {
        let services = [
            Fixture.spec("c", dependsOn: ["b"]),
            Fixture.spec("b", dependsOn: ["c"]),
            Fixture.spec("a"),
            Fixture.spec("d", dependsOn: ["c"]),
        ]
        #expect(order(services) == ["a", "b", "c", "d"])
    }

    @Test(arguments: [UInt64(1), 2, 3, 42, 2026])
    func theSameInputsInAnyOrderGiveIdenticalJSON(seed: UInt64) {
        let web = Fixture.spec("web", image: "demo/web:1.1.0", replicas: 3, dependsOn: ["api"])
        let oldWeb = Fixture.spec("web", image: "demo/web:1.0.0", replicas: 3)
        let api = Fixture.spec("api", image: "demo/api:2.0.0", replicas: 4, dependsOn: ["db"])
        let db = Fixture.spec("db", image: "demo/db:16", replicas: 1)
        let worker = Fixture.spec("worker", image: "demo/worker:3.0.0", replicas: 2)
        let legacy = Fixture.spec("legacy", image: "demo/legacy:0.1.0")
        let desired = [web, api, db, worker]
        let observed =
            Fixture.instances(2, of: oldWeb, prefix: "old") + Fixture.instances(1, of: web, prefix: "new")
            + Fixture.instances(2, of: api) + Fixture.instances(1, of: db)
            + Fixture.instances(1, of: db, state: .failed, prefix: "f")
            + Fixture.instances(2, of: legacy)
            + Fixture.instances(1, of: worker, image: "demo/worker:2.9.0", prefix: "a")
            + Fixture.instances(1, of: worker, image: "demo/worker:2.8.0", prefix: "b")
        let policy = PlanPolicy(failedSpecHashes: ["worker": [SpecHash(worker)], "db": [SpecHash(oldWeb)]])

        let reference = Planner.plan(desired: Fixture.fleet(desired), observed: observed, policy: policy).jsonData()
        var generator = SeededGenerator(seed: seed)
        var shuffledFleet = Fixture.fleet(desired)
        shuffledFleet.services.shuffle(using: &generator)
        let shuffled = Planner.plan(
            desired: shuffledFleet, observed: observed.shuffled(using: &generator), policy: policy)
        #expect(shuffled.jsonData() == reference)
        #expect(
            shuffled.actions.map(\.kind) == [.unchanged, .scaleUp, .replace, .unchanged, .remove],
            "db, api, web, worker (held back), legacy")
    }
}
