import FleetController
import FleetModel
import FleetPlanner
import FleetRegistry
import Foundation
import Testing

@Suite("LiveStateDocument from a registry snapshot: the spec of every hash a plan meets")
struct LiveStateDocumentRegistryTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static func spec(_ tag: String, digest: Character, env: [String: String] = [:]) -> ServiceSpec {
        ServiceSpec(
            name: "web",
            image: ImageReference(
                repository: "shop/web", tag: tag, digest: "sha256:" + String(repeating: digest, count: 64)),
            replicas: 2, env: env)
    }
    static let good = spec("1.0.0", digest: "a")
    static let broken = spec("broken", digest: "b")
    static let rolling = spec("2.0.0", digest: "c", env: ["LOG_LEVEL": "info"])

    /// web converged on `good`, rolled back from `broken`, and is now rolling out `rolling` (one instance
    /// up), with each spec kept the way the converger keeps it.
    static func snapshot() -> RegistrySnapshot {
        var state = RolloutState.begin(service: "web", target: SpecHash(good), revision: "c1", now: t0)
        state.converged(on: good, desired: SpecHash(good), revision: "c1")
        state.desire(SpecHash(broken), revision: "c2", now: t0)
        state.remember(broken)
        state.fail(reason: "no progress", autoRollback: true)
        state.desire(SpecHash(rolling), revision: "c3", now: t0)
        state.remember(rolling)
        // A spec no rollout names any more (as a state read before the converger let go of it) is left out.
        state.triedSpecs.append(spec("0.9.0", digest: "d"))
        let instances = [(good, "web-1"), (good, "web-2"), (rolling, "web-3")].map { spec, id in
            InstanceRecord(
                id: id, service: "web", specHash: SpecHash(spec), image: spec.image.description, state: .serving,
                createdAt: t0)
        }
        return RegistrySnapshot(
            revision: 7, instances: instances.map { Versioned($0, version: 1) },
            rolloutStates: [Versioned(state, version: 1)])
    }

    @Test("appliedSpecs holds the last good spec, the target in flight and the failed spec held back")
    func appliedSpecs() {
        let document = LiveStateDocument(Self.snapshot())
        #expect(
            Set(document.appliedSpecs.keys)
                == Set([Self.good, Self.broken, Self.rolling].map { SpecHash($0).rawValue }))
        #expect(document.appliedSpecs[SpecHash(Self.rolling).rawValue] == Self.rolling)
        // The failed spec's instances are gone; its kept spec still pins its tag.
        #expect(document.pinnedImages["shop/web:broken"] == Self.broken.image.digest)
        #expect(document.pinnedImages["shop/web:0.9.0"] == nil)
    }

    @Test("a plan against a rollout in flight names the field it changes")
    func planAgainstTheTargetInFlight() throws {
        let document = LiveStateDocument(Self.snapshot())
        var next = Self.rolling
        next.env = ["LOG_LEVEL": "debug"]
        let plan = Planner.plan(
            desired: Fleet(name: "shop", services: [next]),
            observed: document.instances.filter { $0.specHash == SpecHash(Self.rolling) },
            appliedSpecs: Array(document.appliedSpecs.values), policy: document.policy)
        let action = try #require(plan.actions.first)
        #expect(action.kind == .replace)
        #expect(action.changes?.flatMap(\.leaves).map(\.path) == ["env.LOG_LEVEL"])
    }

    @Test("a quarantined instance's kept output stays out of the document: it is for `logs`, not for plans")
    func keptOutputLeftOut() {
        var snapshot = Self.snapshot()
        snapshot.instances[0].record.state = .quarantined
        snapshot.instances[0].record.keptOutput = "why it failed\n"
        let document = LiveStateDocument(snapshot)
        #expect(document.instances.map(\.keptOutput) == [nil, nil, nil])
        #expect(document.instances[0].state == .quarantined)
    }
}
