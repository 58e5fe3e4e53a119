import FleetModel
import Foundation
import GitFleetTesting
import Testing

@testable import FleetController

/// The index a pass reads a service's records from: built once when the world is observed, kept right by
/// every change a pass makes, and always answering what filtering and sorting every record would.
@Suite(.tags(.fast)) struct ObservedWorldTests {
    static func record(_ id: String, _ service: String, at seconds: TimeInterval, state: InstanceState = .serving)
        -> InstanceRecord
    {
        InstanceRecord(
            id: id, service: service, specHash: SpecHash(rawValue: "h"), image: "demo", state: state,
            createdAt: Date(timeIntervalSince1970: seconds))
    }

    /// What the index replaces: every record filtered by service and sorted by (createdAt, id).
    static func scanned(_ world: ObservedWorld, _ service: String) -> [InstanceRecord] {
        world.records.values.filter { $0.service == service }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    @Test func indexFollowsEverySetAndRemove() {
        let initial = [
            Self.record("web-3", "web", at: 3), Self.record("web-1", "web", at: 1), Self.record("api-1", "api", at: 2),
            Self.record("web-2b", "web", at: 2), Self.record("web-2a", "web", at: 2),
        ]
        var world = ObservedWorld(
            records: Dictionary(uniqueKeysWithValues: initial.map { ($0.id, $0) }), rolloutVersions: [:],
            inventory: [:])
        #expect(world.records(of: "web").map(\.id) == ["web-1", "web-2a", "web-2b", "web-3"])
        #expect(world.records(of: "api").map(\.id) == ["api-1"])
        #expect(world.records(of: "none").isEmpty)

        world.set(Self.record("web-0", "web", at: 0, state: .pending))
        var changed = Self.record("web-2a", "web", at: 2, state: .draining)
        world.set(changed)
        changed.createdAt = Date(timeIntervalSince1970: 9)
        world.set(changed)
        world.remove("web-3")
        world.remove("api-1")
        world.remove("absent")
        world.set(Self.record("db-1", "db", at: 5))

        #expect(world.records(of: "web").map(\.id) == ["web-0", "web-1", "web-2b", "web-2a"])
        #expect(world.records(of: "web").last?.state == .draining)
        #expect(world.records(of: "api").isEmpty)
        for service in ["web", "api", "db"] {
            #expect(world.records(of: service) == Self.scanned(world, service))
        }
    }
}
