import FleetModel
import FleetPlanner
import Foundation
import Testing

@Suite("Phoenix rotation (maxAge) is an explicit input to the rollout decision")
struct PhoenixRotationTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let hash = SpecHash(rawValue: "5f3e9a1c5f3e9a1c")
    static let policy = RolloutPolicy()

    static func record(_ id: String, age: TimeInterval, state: InstanceState = .serving, hash: SpecHash = hash)
        -> InstanceRecord
    {
        InstanceRecord(
            id: id, service: "web", specHash: hash, image: "shop/web@sha256:aa", state: state,
            createdAt: now.addingTimeInterval(-age))
    }

    @Test("the oldest instance past maxAge is due, one at a time, and its record keeps its real spec hash")
    func oldestDue() {
        let records = [Self.record("a", age: 7200), Self.record("b", age: 9000), Self.record("c", age: 60)]
        let expired = PhoenixRotation.expired(
            records, target: Self.hash, replicas: 3, maxAge: .seconds(3600), now: Self.now)
        #expect(expired == ["b"])
        let snapshot = RolloutSnapshot(
            records: records, target: Self.hash, replicas: 3, rollout: Self.policy, expired: expired)
        #expect(snapshot.old.map(\.id) == ["b"] && Set(snapshot.current.map(\.id)) == ["a", "c"])
        #expect(RollingUpdate.decide(snapshot).create == 1, "a replacement starts within maxSurge")
        #expect(records.allSatisfy { $0.specHash == Self.hash })

        // It stays due while its replacement starts, so the strategy does not scale the surge back down.
        let replacing = records + [Self.record("d", age: 1, state: .starting)]
        #expect(
            PhoenixRotation.expired(replacing, target: Self.hash, replicas: 3, maxAge: .seconds(3600), now: Self.now)
                == ["b"])
    }

    @Test("nothing is due below capacity, during another rollout, before maxAge, or without maxAge")
    func notDue() {
        let old = [Self.record("a", age: 9000), Self.record("b", age: 9000)]
        let cases: [([InstanceRecord], Duration?)] = [
            (old, nil),
            ([Self.record("a", age: 10), Self.record("b", age: 20)], .seconds(3600)),
            ([Self.record("a", age: 9000), Self.record("b", age: 9000, state: .starting)], .seconds(3600)),
            (
                [Self.record("a", age: 9000), Self.record("b", age: 9000, hash: SpecHash(rawValue: "0ld"))],
                .seconds(3600)
            ),
        ]
        for (records, maxAge) in cases {
            #expect(
                PhoenixRotation.expired(records, target: Self.hash, replicas: 2, maxAge: maxAge, now: Self.now).isEmpty,
                "\(records.map { ($0.id, $0.state) }) maxAge \(String(describing: maxAge))")
        }
    }
}
