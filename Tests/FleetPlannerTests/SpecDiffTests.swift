import FleetModel
import Foundation
import Testing

@testable import FleetPlanner

@Suite("A spec diff names each field that changed")
struct SpecDiffTests {
    static let base = ServiceSpec(
        name: "web", labels: ["team": "shop"],
        image: Fixture.image("demo/web:1.0.0@sha256:" + String(repeating: "a", count: 64)),
        replicas: 3, command: ["/app/web", "--port", "$(PORT)"], env: ["LOG_LEVEL": "info", "OLD": "1"],
        ports: ["http": 0], health: HealthCheck(probe: .http(path: "/healthz", port: "http")),
        resources: Resources(memory: 256 << 20), maxAge: .seconds(86_400), dependsOn: ["db"])

    @Test func equalSpecsHaveNoChanges() {
        #expect(SpecDiff(old: Self.base, new: Self.base).isEmpty)
    }

    @Test func envKeysAreAddedRemovedAndChangedWithOldAndNewValues() throws {
        var new = Self.base
        new.env = ["LOG_LEVEL": "debug", "FEATURE": "on"]
        let diff = SpecDiff(old: Self.base, new: new)
        #expect(diff.changedFieldNames == ["env"])
        let env = try #require(diff.changes.first)
        #expect(env.kind == .changed && env.old == nil && env.new == nil)
        #expect(
            env.fields == [
                FieldChange(name: "FEATURE", path: "env.FEATURE", old: nil, new: "\"on\""),
                FieldChange(name: "LOG_LEVEL", path: "env.LOG_LEVEL", old: "\"info\"", new: "\"debug\""),
                FieldChange(name: "OLD", path: "env.OLD", old: "\"1\"", new: nil),
            ])
        #expect(env.fields.map(\.kind) == [.added, .changed, .removed])
    }

    @Test func imageAndDigestAreSeparateFields() {
        var new = Self.base
        new.image = Fixture.image("demo/web:1.1.0@sha256:" + String(repeating: "b", count: 64))
        let diff = SpecDiff(old: Self.base, new: new)
        #expect(
            diff.changes == [
                FieldChange(name: "image", path: "image", old: "demo/web:1.0.0", new: "demo/web:1.1.0"),
                FieldChange(
                    name: "digest", path: "digest", old: "sha256:" + String(repeating: "a", count: 64),
                    new: "sha256:" + String(repeating: "b", count: 64)),
            ])

        // A tag that moved: the same image name, only the digest differs.
        var moved = Self.base
        moved.image = Self.base.image.pinned(to: "sha256:" + String(repeating: "c", count: 64))
        #expect(SpecDiff(old: Self.base, new: moved).changedFieldNames == ["digest"])
    }

    @Test func everyKindOfFieldIsCompared() {
        var new = Self.base
        new.replicas = 5
        new.command = ["/app/web", "--verbose"]
        new.ports = ["http": 0, "admin": 9090]
        new.health?.interval = .seconds(2)
        new.health?.probe = .tcp(port: "http")
        new.resources.cpu = 0.5
        new.rollout.strategy = .blueGreen
        new.rollout.maxSurge = .percent(25)
        new.drain.gracePeriod = .seconds(60)
        new.maxAge = nil
        new.labels["tier"] = "front"
        new.dependsOn = []
        let paths = SpecDiff(old: Self.base, new: new).changes.flatMap(\.leaves).map(\.path)
        #expect(
            paths == [
                "replicas", "command", "ports.admin", "health.probe", "health.interval", "resources.cpu",
                "rollout.strategy", "rollout.maxSurge", "drain.gracePeriod", "maxAge", "labels.tier", "dependsOn",
            ])
        let leaves = Dictionary(
            uniqueKeysWithValues: SpecDiff(old: Self.base, new: new).changes.flatMap(\.leaves).map { ($0.path, $0) })
        #expect(leaves["command"]?.old == #"["/app/web", "--port", "$(PORT)"]"#)
        #expect(leaves["health.probe"]?.new == "tcp on port http")
        #expect(
            leaves["rollout.maxSurge"] == FieldChange(name: "maxSurge", path: "rollout.maxSurge", old: "1", new: "25%"))
        #expect(
            leaves["drain.gracePeriod"]
                == FieldChange(name: "gracePeriod", path: "drain.gracePeriod", old: "30s", new: "1m"))
        #expect(leaves["maxAge"] == FieldChange(name: "maxAge", path: "maxAge", old: "1d", new: nil))
        #expect(leaves["maxAge"]?.kind == .removed)
    }

    /// A step that becomes a gate is a change of the steps, worded so a reviewer sees the rollout will wait; the spec
    /// hash stays, since the steps say how instances are replaced, not what they are.
    @Test func aCanaryStepThatBecomesAGateIsNamed() {
        var old = Self.base
        old.rollout.strategy = .canary
        old.rollout.steps = [.init(weight: 20, pause: .seconds(60))]
        var new = old
        new.rollout.steps = [.init(weight: 20, pause: .zero, gate: true)]
        let leaves = SpecDiff(old: old, new: new).changes.flatMap(\.leaves)
        #expect(
            leaves == [
                FieldChange(name: "steps", path: "rollout.steps", old: "[20% for 1m]", new: "[20% until promoted]")
            ])
        #expect(SpecHash(old) == SpecHash(new))
    }

    @Test func anObjectThatComesOrGoesListsItsFields() throws {
        var new = Self.base
        new.health = nil
        let health = try #require(SpecDiff(old: Self.base, new: new).changes.first)
        #expect(health.name == "health" && health.kind == .removed)
        #expect(
            health.fields.map(\.name) == [
                "probe", "interval", "timeout", "healthyThreshold", "unhealthyThreshold", "startTimeout",
            ])
        #expect(health.fields.allSatisfy { $0.kind == .removed && $0.new == nil })
        #expect(SpecDiff(old: new, new: Self.base).changes.first?.kind == .added)
    }

    @Test func aSecretSaysOnlyThatItChanged() throws {
        let secret = FieldChange.secret(name: "DB_PASSWORD", path: "secrets.DB_PASSWORD", kind: .changed)
        #expect(secret.old == nil && secret.new == nil && secret.secret)
        let action = ServiceAction(
            service: "web", kind: .replace, fromSpecHash: SamplePlan.hash("3a"), toSpecHash: SamplePlan.hash("4b"),
            replicas: 1, create: 1, destroy: 1, reason: "secrets changed",
            changes: [FieldChange(name: "secrets", path: "secrets", fields: [secret])])
        let plan = Plan(fleet: "f", revision: nil, actions: [action])
        #expect(plan.renderedText().contains("          ~ secret DB_PASSWORD changed\n"))
        let json = String(decoding: plan.jsonData(), as: UTF8.self)
        #expect(json.contains(#""secret" : true"#))
        #expect(try PlanDocument.decode(plan.jsonData()).plan == plan)
    }

    @Test func readinessAndLivenessAreComparedAndTheNewProbesRead() throws {
        var new = Self.base
        new.readiness = HealthCheck(
            probe: .http(path: "/healthz", port: "http", method: "HEAD", headers: ["X-Probe": "1"], status: [200...204])
        )
        new.liveness = HealthCheck(probe: .grpc(port: "http", service: "shop.Web"))
        let leaves = Dictionary(
            uniqueKeysWithValues: SpecDiff(old: Self.base, new: new).changes.flatMap(\.leaves).map { ($0.path, $0) })
        #expect(
            leaves["readiness.probe"]?.new == #"http HEAD "/healthz" on port http with X-Probe: "1" expecting 200-204"#)
        #expect(leaves["liveness.probe"]?.new == #"grpc on port http for service "shop.Web""#)
    }
}

@Suite("A replacement lists its changes when the outgoing spec is known")
struct PlannerSpecDiffTests {
    @Test func knownOutgoingSpecGivesTheFieldDiff() throws {
        let old = Fixture.spec("web", replicas: 2, env: ["LOG_LEVEL": "info"])
        let new = Fixture.spec("web", replicas: 2, env: ["LOG_LEVEL": "debug"])
        let plan = Planner.plan(
            desired: Fixture.fleet([new]), observed: Fixture.instances(2, of: old), appliedSpecs: [old])
        let action = try #require(plan.actions.first)
        #expect(action.kind == .replace)
        #expect(action.reason == "env changed")
        #expect(action.changes?.flatMap(\.leaves).map(\.path) == ["env.LOG_LEVEL"])
        #expect(plan.renderedText().contains(#"~ LOG_LEVEL: "info" → "debug""#))
    }

    @Test func unknownOutgoingSpecFallsBackToSpecChanged() throws {
        let old = Fixture.spec("web", env: ["LOG_LEVEL": "info"])
        let new = Fixture.spec("web", env: ["LOG_LEVEL": "debug"])
        // An applied spec of another service with the same shape is not this service's spec.
        var other = old
        other.name = "api"
        let plan = Planner.plan(
            desired: Fixture.fleet([new]), observed: Fixture.instances(1, of: old), appliedSpecs: [other, new])
        let action = try #require(plan.actions.first)
        #expect(action.kind == .replace)
        #expect(action.reason == "spec changed")
        #expect(action.changes == nil)
        #expect(!plan.renderedText().contains("changes:"))
    }

    @Test func anImageChangeKeepsItsReasonAndListsTheDiffToo() throws {
        let old = Fixture.spec("web", image: "demo/web:1.0.0")
        let new = Fixture.spec("web", image: "demo/web:1.1.0")
        let plan = Planner.plan(
            desired: Fixture.fleet([new]), observed: Fixture.instances(1, of: old), appliedSpecs: [old])
        let action = try #require(plan.actions.first)
        #expect(action.reason == "image demo/web:1.0.0 → demo/web:1.1.0")
        #expect(action.changes?.map(\.name) == ["image"])
    }
}
