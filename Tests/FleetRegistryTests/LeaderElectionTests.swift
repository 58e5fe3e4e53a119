import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

/// Leader election and fencing against a real etcd: who may write, and what a deposed leader can no longer do.
@Suite struct LeaderElectionTests {
    @Test func oneOfTwoLeadsAndOnlyItsWritesApply() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        try await withRegistries(etcd, count: 2) { registries in
            let a = LeaderElection(registry: registries[0], identity: "controller-a", ttl: .seconds(3))
            let b = LeaderElection(registry: registries[1], identity: "controller-b", ttl: .seconds(3))
            await a.start()
            await b.start()
            await a.step()
            await b.step()
            #expect(await a.isLeader)
            #expect(await b.role == .follower(leader: "controller-a"))

            try await registries[0].commit([.putInstance(RegistryConformance.instance("web-1"))])
            try await RegistryConformance.expectError(.fenced) {
                try await registries[1].commit([.putInstance(RegistryConformance.instance("web-2"))])
            }
            try await RegistryConformance.expectError(.fenced) { try await registries[1].commit([]) }
            #expect(try await registries[1].instance(id: "web-2") == nil, "a standby's write applies nothing")

            // The leader resigns (SIGTERM): the standby wins at its next round, and the old leader is fenced.
            await a.resign()
            await b.step()
            #expect(await b.isLeader)
            try await registries[1].commit([.putInstance(RegistryConformance.instance("web-2"))])
            try await RegistryConformance.expectError(.fenced) {
                try await registries[0].commit([.deleteInstance(id: "web-1")])
            }
            #expect(try await registries[0].instance(id: "web-1") != nil)
            await b.resign()
        }
    }

    @Test func aLeaderThatStopsRenewingIsDeposedAndFenced() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        try await withRegistries(etcd, count: 2) { registries in
            let a = LeaderElection(registry: registries[0], identity: "controller-a", ttl: .seconds(2))
            let b = LeaderElection(registry: registries[1], identity: "controller-b", ttl: .seconds(2))
            await a.start()
            await b.start()
            await a.step()
            guard case .leader(let firstFence) = await a.role else {
                Issue.record("controller-a did not win an uncontested election")
                return
            }
            // A hangs (a long GC pause, a frozen VM): it sends no renewal; its lease expires in etcd.
            var waited = 0
            while !(await b.isLeader) && waited < 100 {
                try await Task.sleep(for: .milliseconds(200))
                await b.step()
                waited += 1
            }
            #expect(await b.isLeader, "the standby took over once the lease expired")
            guard case .leader(let secondFence) = await b.role else { return }
            #expect(secondFence > firstFence)

            // A wakes up believing it leads: its write is refused by the fence, and it steps down.
            #expect(await a.isLeader)
            try await RegistryConformance.expectError(.fenced) {
                try await registries[0].commit([.putInstance(RegistryConformance.instance("web-1"))])
            }
            await a.step()
            #expect(await !a.isLeader)
            #expect(try await registries[1].instance(id: "web-1") == nil)
            await b.resign()
        }
    }

    @Test func publishedInstancesAreDiscoveryKeys() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        try await withRegistries(etcd, count: 1) { registries in
            let registry = registries[0]
            var record = RegistryConformance.instance("web-1")
            try await registry.commit([.putInstance(record)])
            #expect(try await etcd.values(under: "/fleet/endpoints/").isEmpty, "a pending instance is not published")

            record.state = .serving
            record.address = "10.0.0.7"
            record.ports = ["http": 8080]
            try await registry.commit([.putInstance(record), .putInstance(RegistryConformance.instance("web-2"))])
            let published = try await etcd.values(under: "/fleet/endpoints/")
            #expect(Array(published.keys) == ["/fleet/endpoints/web/web-1"])
            let endpoint = try JSONDecoder().decode(
                DiscoveryEndpoint.self, from: Data(try #require(published["/fleet/endpoints/web/web-1"]).utf8))
            #expect(endpoint.address == "10.0.0.7")
            #expect(endpoint.ports == ["http": 8080])
            #expect(endpoint.specHash == record.specHash.description)

            record.state = .draining
            try await registry.commit([.putInstance(record)])
            #expect(try await etcd.values(under: "/fleet/endpoints/").isEmpty, "a draining instance is withdrawn")

            record.state = .serving
            try await registry.commit([.putInstance(record)])
            try await registry.commit([.deleteInstance(id: "web-1")])
            #expect(try await etcd.values(under: "/fleet/endpoints/").isEmpty, "a deleted instance is withdrawn")
        }
    }

    /// Runs `body` with `count` registries on one prefix of `etcd`, closing them however `body` ends.
    private func withRegistries(
        _ etcd: EtcdServer, count: Int, _ body: ([EtcdRegistry]) async throws -> Void
    ) async throws {
        let registries = try (0..<count).map { _ in
            try EtcdRegistry(configuration: EtcdConfiguration(endpoints: [etcd.clientURL], prefix: "/fleet"))
        }
        do {
            try await body(registries)
        } catch {
            for registry in registries { try? await registry.close() }
            throw error
        }
        for registry in registries { try await registry.close() }
    }
}

@Suite struct EtcdWatchTests {
    @Test func aWatchSeesPutsAndDeletesUnderAPrefix() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        try await withEtcdRegistry(EtcdConfiguration(endpoints: [etcd.clientURL], prefix: "/fleet")) { registry in
            let changes = registry.watch("/fleet/endpoints/", prefix: true)
            let collected = Task {
                var seen: [EtcdWatchEvent] = []
                for try await events in changes {
                    seen += events
                    if seen.count >= 2 { break }
                }
                return seen
            }
            // Writes made before etcd has created the watch would not be seen; give it a moment.
            var record = RegistryConformance.instance("web-1")
            record.state = .serving
            record.address = "127.0.0.1"
            try await Task.sleep(for: .milliseconds(300))
            try await registry.commit([.putInstance(record)])
            try await registry.commit([.deleteInstance(id: "web-1")])
            let seen = try await collected.value
            #expect(seen.map(\.kind) == [.put, .delete])
            #expect(seen.allSatisfy { $0.key == "/fleet/endpoints/web/web-1" })
            #expect(seen[0].value.map { String(decoding: $0, as: UTF8.self).contains("127.0.0.1") } == true)
            #expect(seen[1].revision > seen[0].revision)
        }
    }

    @Test func aStandbyTakesOverTheMomentTheLeaderResigns() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        try await withEtcdRegistry(EtcdConfiguration(endpoints: [etcd.clientURL], prefix: "/fleet")) { first in
            try await withEtcdRegistry(EtcdConfiguration(endpoints: [etcd.clientURL], prefix: "/fleet")) { second in
                // A long lease: without the watch, the standby would campaign only every 10 s.
                let a = LeaderElection(registry: first, identity: "controller-a", ttl: .seconds(30))
                let b = LeaderElection(registry: second, identity: "controller-b", ttl: .seconds(30))
                let leading = Task { await a.run() }
                while !(await a.isLeader) { try await Task.sleep(for: .milliseconds(50)) }
                let standing = Task { await b.run() }
                while await b.role != .follower(leader: "controller-a") { try await Task.sleep(for: .milliseconds(50)) }
                try await Task.sleep(for: .milliseconds(300))

                leading.cancel()
                await leading.value
                let resignedAt = ContinuousClock.now
                while !(await b.isLeader) && ContinuousClock.now - resignedAt < .seconds(9) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                let took = ContinuousClock.now - resignedAt
                #expect(await b.isLeader, "the standby did not take over before its next round (10 s)")
                print("takeover after a resignation: \(took)")
                standing.cancel()
                await standing.value
            }
        }
    }
}
