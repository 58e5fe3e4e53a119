import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

@Suite struct EtcdRegistryConformanceTests {
    /// Each check gets its own etcd, so revision checks hold even while checks run in parallel; every registry
    /// the check asks for gets a fresh prefix, so it starts empty.
    @Test(arguments: RegistryConformance.Check.allCases)
    func conformance(_ check: RegistryConformance.Check) async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let conformance = RegistryConformance(
            makeRegistry: {
                try EtcdRegistry(configuration: EtcdConfiguration(endpoints: [etcd.clientURL], prefix: "/t-\(UUID())"))
            },
            // Another client on the same prefix, as a `gitfleet retry` in another process opens it.
            sameStore: { registry in
                try EtcdRegistry(configuration: try #require(registry as? EtcdRegistry).configuration)
            })
        try await conformance.run(check)
    }

    @Test func aReplacedLeaderKeyFencesTheWriter() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let leaderKey = "/gitfleet-election/leader"
        let createRevision = try await etcd.put(leaderKey, "controller-a")
        let fence = EtcdConfiguration.Fence(key: leaderKey, createRevision: createRevision)
        try await withEtcdRegistry(EtcdConfiguration(endpoints: [etcd.clientURL], fence: fence)) { registry in
            let revision = try await registry.commit([.putInstance(RegistryConformance.instance("web-1"))])
            #expect(revision > createRevision)
            #expect(try await registry.instance(id: "web-1")?.version == revision)

            // Another controller's leadership: the key is deleted and created anew, with a new create_revision.
            try await etcd.delete(leaderKey)
            #expect(try await etcd.put(leaderKey, "controller-b") > createRevision)

            var changed = RegistryConformance.instance("web-1")
            changed.state = .serving
            try await RegistryConformance.expectError(.fenced) {
                try await registry.commit([.putInstance(changed), .putInstance(RegistryConformance.instance("web-2"))])
            }
            #expect(try await registry.instance(id: "web-1")?.version == revision, "a fenced commit applies nothing")
            #expect(try await registry.instance(id: "web-1")?.record.state == .pending)
            #expect(try await registry.instance(id: "web-2") == nil)

            // A fence on a leader key that no longer exists refuses writes too, even ones without expectations.
            try await etcd.delete(leaderKey)
            try await RegistryConformance.expectError(.fenced) {
                try await registry.commit([.deleteInstance(id: "web-1")])
            }
            #expect(try await registry.instance(id: "web-1") != nil)
        }
    }

    @Test func anUnreachableEndpointFallsThroughToTheNextOne() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        // Port 1 on loopback refuses connections.
        let endpoints = ["http://127.0.0.1:1", etcd.clientURL]
        try await withEtcdRegistry(
            EtcdConfiguration(endpoints: endpoints, prefix: "/failover", connectTimeout: .seconds(1))
        ) { registry in
            try await registry.ping()
            let revision = try await registry.commit([.putInstance(RegistryConformance.instance("web-1"))])
            #expect(try await registry.instance(id: "web-1")?.version == revision)
        }
        try await withEtcdRegistry(EtcdConfiguration(endpoints: ["http://127.0.0.1:1"], connectTimeout: .seconds(1))) {
            registry in
            try await RegistryConformance.expectError(.unavailable) { try await registry.ping() }
        }
    }
}
