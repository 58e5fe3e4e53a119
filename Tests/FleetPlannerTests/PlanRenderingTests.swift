import FleetModel
import Foundation
import Testing

@testable import FleetPlanner

@Suite("Plans render for people and for tools")
struct PlanRenderingTests {
    @Test func humanTextSnapshot() {
        let expected = """
            Plan for fleet production at 3f2a1b9c0d1e:

              + cache: create
                  image:     demo/cache:7.2
                  spec:      2c2c2c2c2c2c
                  instances: 0 → 2 (+2 / -0, 0 kept)
                  reason:    not running; start 2 instances

            -/+ web: replace
                  image:     demo/web:1.0.0 → demo/web:1.1.0
                  spec:      3a3a3a3a3a3a → 4b4b4b4b4b4b
                  instances: 3 → 3 (+2 / -2, 1 kept)
                  reason:    image demo/web:1.0.0 → demo/web:1.1.0 (1 of 3 already on the new spec)
                  changes:
                    ~ image: demo/web:1.0.0 → demo/web:1.1.0
                    ~ env
                      + FEATURE_CART: "on"
                      ~ LOG_LEVEL:    "info" → "debug"
                      - OLD_FLAG:     "1"
                    ~ health
                      ~ interval: 1s → 2s

              ~ api: scale up
                  image:     demo/api:2.0.0
                  spec:      5e5e5e5e5e5e
                  instances: 3 → 5 (+2 / -0, 3 kept)
                  reason:    replicas 3 → 5

              ! worker: held back
                  image:     demo/worker:2.9.0 → demo/worker:3.0.0
                  spec:      6f6f6f6f6f6f → 7a7a7a7a7a7a
                  instances: 2 → 2 (+0 / -0, 2 kept)
                  reason:    spec 7a7a7a7a7a7a failed before; not retried until the spec changes or a retry is asked for

              - legacy: remove
                  image:     demo/legacy:0.1.0
                  spec:      8c8c8c8c8c8c
                  instances: 2 → 0 (+0 / -2, 0 kept)
                  reason:    no longer in Git

            1 service unchanged.
            Plan: 1 to create, 1 to replace, 1 to scale, 1 to remove (instances: +6 / -4). 1 service held back.

            """
        #expect(SamplePlan.plan.renderedText() == expected)
    }

    @Test func verboseTextListsUnchangedServices() {
        let expected = """
            Plan for fleet production at 3f2a1b9c0d1e:

              = db-migrate: unchanged
                  image:     demo/migrate:2.0.0
                  spec:      1d1d1d1d1d1d
                  instances: 1 → 1 (+0 / -0, 1 kept)
                  reason:    1 instance on the desired spec

              + cache: create
                  image:     demo/cache:7.2
                  spec:      2c2c2c2c2c2c
                  instances: 0 → 2 (+2 / -0, 0 kept)
                  reason:    not running; start 2 instances

            -/+ web: replace
                  image:     demo/web:1.0.0 → demo/web:1.1.0
                  spec:      3a3a3a3a3a3a → 4b4b4b4b4b4b
                  instances: 3 → 3 (+2 / -2, 1 kept)
                  reason:    image demo/web:1.0.0 → demo/web:1.1.0 (1 of 3 already on the new spec)
                  changes:
                    ~ image: demo/web:1.0.0 → demo/web:1.1.0
                    ~ env
                      + FEATURE_CART: "on"
                      ~ LOG_LEVEL:    "info" → "debug"
                      - OLD_FLAG:     "1"
                    ~ health
                      ~ interval: 1s → 2s

              ~ api: scale up
                  image:     demo/api:2.0.0
                  spec:      5e5e5e5e5e5e
                  instances: 3 → 5 (+2 / -0, 3 kept)
                  reason:    replicas 3 → 5

              ! worker: held back
                  image:     demo/worker:2.9.0 → demo/worker:3.0.0
                  spec:      6f6f6f6f6f6f → 7a7a7a7a7a7a
                  instances: 2 → 2 (+0 / -0, 2 kept)
                  reason:    spec 7a7a7a7a7a7a failed before; not retried until the spec changes or a retry is asked for

              - legacy: remove
                  image:     demo/legacy:0.1.0
                  spec:      8c8c8c8c8c8c
                  instances: 2 → 0 (+0 / -2, 0 kept)
                  reason:    no longer in Git

            Plan: 1 to create, 1 to replace, 1 to scale, 1 to remove (instances: +6 / -4). 1 service held back.

            """
        #expect(SamplePlan.plan.renderedText(verbose: true) == expected)
    }

    @Test func noChanges() {
        let plan = Plan(
            fleet: "staging", revision: nil,
            actions: [
                ServiceAction(
                    service: "web", kind: .unchanged, fromImage: "demo/web:1.0.0", toImage: "demo/web:1.0.0",
                    fromSpecHash: SamplePlan.hash("aa"), toSpecHash: SamplePlan.hash("aa"), replicas: 2, keep: 2,
                    reason: "2 instances on the desired spec")
            ])
        #expect(
            plan.renderedText() == """
                Plan for fleet staging:

                1 service unchanged.
                No changes. The fleet matches the desired state.

                """)
        #expect(!plan.hasChanges)
    }

    @Test func noChangesButHeldBackIsNotCalledConverged() throws {
        let heldBack = try #require(SamplePlan.plan.actions.first { $0.service == "worker" })
        let plan = Plan(fleet: "production", revision: nil, actions: [heldBack])
        #expect(plan.summaryLine() == "No changes. 1 service does not match the desired state (held back, see above).")
        #expect(plan.renderedText().contains("  ! worker: held back\n"))
    }

    @Test func colourIsOptInAndOnlyAddsEscapes() {
        let plain = SamplePlan.plan.renderedText()
        let coloured = SamplePlan.plan.renderedText(colour: true)
        #expect(!plain.contains("\u{1B}"))
        #expect(coloured.contains("\u{1B}[32m  + cache: create\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[33m-/+ web: replace\u{1B}[0m"))
        let stripped = coloured.replacing(#/\x{1B}\[[0-9]+m/#, with: "")
        #expect(stripped == plain)
    }

    @Test func jsonMatchesTheDocumentedExample() throws {
        let document = try Repository.text("docs/plan-json.md")
        let example = try #require(Repository.fencedBlock("json", after: "## Complete example", in: document))
        let actual = String(decoding: SamplePlan.plan.jsonData(), as: UTF8.self)
        #expect(actual == example)
        let parsed = try PlanDocument.decode(Data(example.utf8))
        #expect(parsed == PlanDocument(SamplePlan.plan))
    }

    /// Plans whose JSON the hand-written writer must give exactly as `JSONEncoder` does: the sample, one made
    /// by the planner (with field changes), an empty one, and strings with every character JSON escapes.
    static var writerCases: [Plan] {
        let web = Fixture.spec("web", image: "demo/web:1.1.0", replicas: 3, dependsOn: ["api"])
        let oldWeb = Fixture.spec("web", image: "demo/web:1.0.0", replicas: 3)
        let api = Fixture.spec("api", image: "demo/api:2.0.0", replicas: 4)
        let planned = Planner.plan(
            desired: Fixture.fleet([web, api]),
            observed: Fixture.instances(2, of: oldWeb) + Fixture.instances(1, of: Fixture.spec("gone", image: "x:1")),
            policy: PlanPolicy())
        let awkward = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }.joined() + "\"\\/ é → 😀 \u{7F}"
        var tricky = SamplePlan.plan
        tricky.fleet = awkward
        tricky.actions[2].reason = awkward
        tricky.actions[2].changes?[0].new = awkward
        tricky.actions[2].changes?[1].fields[0].name = awkward
        return [
            SamplePlan.plan, planned, Plan(fleet: "empty", revision: nil, actions: []), tricky,
            Plan(fleet: "f", revision: nil, actions: [SamplePlan.plan.actions[5]]),
        ]
    }

    @Test(arguments: writerCases)
    func jsonWriterGivesJSONEncodersBytes(plan: Plan) {
        let document = PlanDocument(plan)
        let expected = document.encodedWithJSONEncoder()
        let written = document.jsonData()
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(written == expected)
    }

    @Test func jsonRoundTripsToTheSamePlan() throws {
        let data = SamplePlan.plan.jsonData()
        let document = try PlanDocument.decode(data)
        #expect(document.formatVersion == 1)
        #expect(document.changes)
        #expect(document.plan == SamplePlan.plan)
        #expect(document.jsonData() == data)
        #expect(
            document.summary
                == PlanDocument.Summary(SamplePlan.plan.actions))
        #expect((document.summary.instancesToCreate, document.summary.instancesToDestroy) == (6, 4))
        #expect((document.summary.unchanged, document.summary.heldBack) == (2, 1))
    }

    @Test func absentValuesAreWrittenAsNull() throws {
        let plan = Plan(fleet: "f", revision: nil, actions: [SamplePlan.plan.actions[5]])
        let object = try #require(
            try JSONSerialization.jsonObject(with: plan.jsonData()) as? [String: Any])
        #expect(object["revision"] is NSNull)
        let service = try #require((object["services"] as? [[String: Any]])?.first)
        #expect(service["toImage"] is NSNull)
        #expect(service["toSpecHash"] is NSNull)
        #expect(service["changes"] is NSNull)
        #expect(service.keys.count == 13)
    }
}
