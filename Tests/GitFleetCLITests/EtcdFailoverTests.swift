import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// `gitfleet serve` replicas on a real etcd: leader election, failover mid-rollout, and etcd itself failing.
/// The replicas share one process runtime (one runtime folder), as replicas on several hosts would share a
/// Docker or cluster runtime, so each can inventory what the other started.
@Suite("gitfleet serve on etcd: one leader, failover and outages", .serialized)
struct EtcdFailoverTests {
    @Test("The leader is killed mid-rollout; the standby finishes it with no duplicate or lost instance")
    func standbyFinishesTheRollout() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let fleet = try EtcdFleet(etcd: etcd)
        let v1 = try fleet.fleet.commitWeb("demo/web:1.0.0", replicas: 3)
        try fleet.fleet.push()
        try await fleet.run(controllers: ["controller-a", "controller-b"]) { controllers in
            let (a, b) = (controllers[0], controllers[1])
            let converged = await fleet.remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            #expect(converged?.contains("controller: controller-a") == true, "\(a.log)\n\(b.log)")
            #expect(try await b.status()["role"] as? String == "standby", "\(b.log)")
            #expect(try await b.status()["leader"] as? String == "controller-a")
            #expect(try await b.request("GET", "/readyz").status == 200, "a standby that reaches etcd is ready")
            // A standby serves the leader's serving set from the shared registry.
            try await fleet.waitUntil("the standby's discovery lists the 3 instances", timeout: .seconds(30)) { _ in
                let discovery = try? await b.request("GET", "/api/v1/discovery")
                guard discovery?.status == 200,
                    let object = try? JSONSerialization.jsonObject(with: Data((discovery?.body ?? "").utf8))
                        as? [String: Any],
                    let services = object["services"] as? [String: [Any]]
                else { return false }
                return services["web"]?.count == 3
            }

            let probe = ServingProbe()
            let probing = Task { await probe.run(registry: fleet.observer, service: "web") }
            defer { probing.cancel() }
            let v2 = try await fleet.startSlowRollout(whileServing: v1)
            a.killAbruptly()
            let killedAt = ContinuousClock.now
            try await fleet.waitUntil("the standby leads", timeout: .seconds(30)) { _ in
                (try? await b.status()["role"] as? String) == "leader"
            }
            let takeover = ContinuousClock.now - killedAt
            let done = await fleet.remote.waitForNote(on: v2, timeout: .seconds(90)) {
                $0.contains("\nresult: converged")
            }
            await probe.stop()
            print("failover: the standby led \(takeover) after SIGKILL (lease TTL 3s; it watches the leader key)")
            #expect(done?.contains("controller: controller-b") == true, "\(b.log)")
            // The lease TTL (3s) plus one campaign interval (1s), with room for a loaded machine.
            #expect(takeover < .seconds(20), "took \(takeover)")
            try await fleet.expectOnly(revision: v2, replicas: 3)
            #expect(await probe.fewestAnswering >= 3, "capacity fell below the 3 replicas (maxUnavailable 0)")
            let mismatches = await probe.mismatches
            #expect(mismatches.isEmpty, "\(mismatches)")
        }
    }

    @Test("With etcd down mid-rollout nothing is destroyed, readiness says why, and the rollout finishes after")
    func etcdOutageHoldsTheFleet() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let fleet = try EtcdFleet(etcd: etcd)
        let v1 = try fleet.fleet.commitWeb("demo/web:1.0.0", replicas: 3)
        try fleet.fleet.push()
        try await fleet.run(controllers: ["controller-a"]) { controllers in
            let a = controllers[0]
            _ = await fleet.remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let v2 = try await fleet.startSlowRollout(whileServing: v1)
            etcd.stopMember(0)
            let before = Set(try await fleet.fleet.inventory().map(\.instanceID))
            // Longer than the lease, so the controller also loses (and must later regain) leadership.
            let outageEnds = ContinuousClock.now.advanced(by: .seconds(8))
            var sawNotReady = false
            var lost: Set<String> = []
            while ContinuousClock.now < outageEnds {
                lost.formUnion(before.subtracting(try await fleet.fleet.inventory().map(\.instanceID)))
                if let ready = try? await a.request("GET", "/readyz"), ready.status == 503,
                    ready.body.contains("registry")
                {
                    sawNotReady = true
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(lost.isEmpty, "instances destroyed while etcd was down: \(lost)")
            #expect(sawNotReady, "/readyz never said the registry was failing:\n\(a.log)")

            try await etcd.startMember(0)
            let done = await fleet.remote.waitForNote(on: v2, timeout: .seconds(90)) {
                $0.contains("\nresult: converged")
            }
            #expect(done != nil, "the rollout did not finish after etcd returned:\n\(a.log)")
            try await fleet.expectOnly(revision: v2, replicas: 3)
        }
    }

    @Test("A 3-member etcd loses the member the controller talks to mid-rollout; the rollout finishes")
    func memberLossMidRollout() async throws {
        let etcd = try await EtcdCluster(size: 3)
        defer { etcd.stop() }
        let fleet = try EtcdFleet(etcd: etcd)
        let v1 = try fleet.fleet.commitWeb("demo/web:1.0.0", replicas: 3)
        try fleet.fleet.push()
        try await fleet.run(controllers: ["controller-a"]) { controllers in
            let a = controllers[0]
            _ = await fleet.remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let v2 = try await fleet.startSlowRollout()
            etcd.stopMember(0)
            let done = await fleet.remote.waitForNote(on: v2, timeout: .seconds(90)) {
                $0.contains("\nresult: converged")
            }
            #expect(done?.contains("controller: controller-a") == true, "\(a.log)")
            try await fleet.expectOnly(revision: v2, replicas: 3)

            // An operator reads the shared registry with the controller's settings, from anywhere.
            let status = try await BuiltProducts.gitfleet(
                ["status"],
                environment: [
                    "GITFLEET_REGISTRY": "etcd", "GITFLEET_ETCD_ENDPOINTS": etcd.clientURLs.joined(separator: ","),
                    "GITFLEET_ETCD_PREFIX": fleet.prefix,
                ])
            #expect(status.status == 0, "\(status)")
            #expect(status.standardOutput.components(separatedBy: " serving ").count == 4, "\(status)")
        }
    }
}

/// Its own suite, so it runs beside the failover tests rather than after them.
@Suite("gitfleet serve on etcd: partitioned from etcd for longer than the lease", .serialized)
struct EtcdPartitionTests {
    /// Unlike etcd stopping (connections refused at once), a partition answers nothing: requests hang until
    /// the controller's own timeouts give up, and connections opened before it (the watch, the lease's
    /// keep-alive) never hear back. A `StallingProxy` between serve and etcd accepts and relays nothing.
    @Test("etcd is partitioned from the leader for 3 leases: it stops acting, destroys nothing, and finishes after")
    func partitionLongerThanTheLease() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let fleet = try EtcdFleet(etcd: etcd)
        let etcdPort = try #require(URL(string: etcd.clientURL)?.port)
        let proxy = try StallingProxy(targetPort: etcdPort, directory: fleet.fleet.repository.directory.path)
        defer { proxy.stop() }
        let v1 = try fleet.fleet.commitWeb("demo/web:1.0.0", replicas: 3)
        try fleet.fleet.push()
        try await fleet.run(controllers: ["controller-a"], endpoints: ["http://127.0.0.1:\(proxy.port)"]) {
            controllers in
            let a = controllers[0]
            _ = await fleet.remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let v2 = try await fleet.startSlowRollout(whileServing: v1)
            let observed = EtcdStateFleet(observer: fleet.observer, scope: fleet.fleet.scope)
            let sampler = InvariantSampler(ChaosRollout.invariants, watching: observed, converged: true)
            await sampler.start()
            try proxy.goSilent()
            let partitionedAt = ContinuousClock.now
            let partitionedOn = Date()
            let outage = try await OutageWindow.begin(observed)
            var roles: [String] = []
            // Three lease TTLs (3 s each): the lease surely expires on etcd's side while the leader hears nothing.
            while ContinuousClock.now - partitionedAt < .seconds(9) {
                if let role = try? await a.status()["role"] as? String, roles.last != role { roles.append(role) }
                try await Task.sleep(for: .milliseconds(300))
            }
            try await outage.expectNothingDestroyed(observed, during: "the partition")
            #expect(
                roles.last != "leader", "still leading after 3 leases without etcd (roles seen: \(roles)):\n\(a.log)")
            // Fencing: the leader steps down once a renewal has failed for a whole lease (serve's etcd requests time
            // out after a third of it), not whenever the partition ends.
            let lost = try await a.events().first { $0.type == .leadershipLost && $0.time >= partitionedOn }
            let steppedDownAfter = try #require(lost, "no leadership-lost event:\n\(a.log)").time.timeIntervalSince(
                partitionedOn)
            #expect(
                steppedDownAfter < 6, "the leader stepped down \(steppedDownAfter) s into the partition (lease 3 s)")

            try proxy.forward()
            let healedAt = ContinuousClock.now
            let done = await fleet.remote.waitForNote(on: v2, timeout: .seconds(90)) {
                $0.contains("\nresult: converged")
            }
            let report = await sampler.stop()
            #expect(done?.contains("controller: controller-a") == true, "no convergence after healing:\n\(a.log)")
            #expect(report.violations.isEmpty, "\(report)")
            print(
                "etcd partition for 9 s: stepped down after \(steppedDownAfter) s; converged \(ContinuousClock.now - healedAt) after healing;"
                    + " \(report)")
            try await fleet.expectOnly(revision: v2, replicas: 3)
        }
    }
}

@Suite("gitfleet serve on etcd: a leader stopped gracefully hands over at once", .serialized)
struct EtcdHandoverTests {
    @Test("SIGTERM makes the leader resign: the standby leads long before the 30 s lease would expire")
    func gracefulStopHandsOver() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let fleet = try EtcdFleet(etcd: etcd)
        let v1 = try fleet.fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.fleet.push()
        try await fleet.run(controllers: ["controller-a", "controller-b"], leaseTTL: "30s") { controllers in
            let (a, b) = (controllers[0], controllers[1])
            _ = await fleet.remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            try await fleet.waitUntil("controller-b stands by", timeout: .seconds(30)) { _ in
                (try? await b.status()["role"] as? String) == "standby"
            }
            #expect(await a.stop(), "the leader did not stop gracefully:\n\(a.log)")
            let stoppedAt = ContinuousClock.now
            try await fleet.waitUntil("controller-b leads", timeout: .seconds(25)) { _ in
                (try? await b.status()["role"] as? String) == "leader"
            }
            print("graceful handover: the standby led \(ContinuousClock.now - stoppedAt) after the leader stopped")
            // The loop notices the new role at its next round (a sixth of the lease at most), then tells it.
            try await fleet.waitUntil("controller-b tells it leads", timeout: .seconds(30)) { _ in
                (try? await b.events().contains { $0.type == .leadershipGained }) == true
            }
            let events = try await b.events()
            #expect(events.filter { $0.type == .leadershipGained }.count == 1, "\(events.map(\.type))")
            #expect(events.first { $0.type == .leadershipGained }?.fields["controller"] == .text("controller-b"))
            try await fleet.expectOnly(revision: v1, replicas: 2)
        }
    }
}

@Suite("gitfleet retry against a shared etcd registry", .serialized)
struct EtcdRetryTests {
    @Test("A retry written to etcd from anywhere is acted on at once, not at the next resync")
    func retryWakesTheLeader() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let fleet = try EtcdFleet(etcd: etcd)
        let v1 = try fleet.fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.fleet.push()
        try await fleet.run(controllers: ["controller-a"]) { controllers in
            _ = await fleet.remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let broken = try fleet.fleet.commitWeb(
                "demo/web:broken", replicas: 2, progressDeadline: "10s", startTimeout: "2s")
            try fleet.fleet.push()
            let rolledBack = await fleet.remote.waitForNote(on: broken) { $0.contains("\nresult: rolled-back") }
            #expect(rolledBack?.contains("\nresult: rolled-back") == true, "\(controllers[0].log)")
            let before = try await fleet.observer.instances(service: "web").map(\.record)
            let brokenHash = try #require(before.first { $0.state == .quarantined }?.specHash)

            let retry = try await BuiltProducts.gitfleet(
                ["retry", "web"],
                environment: [
                    "GITFLEET_REGISTRY": "etcd", "GITFLEET_ETCD_ENDPOINTS": etcd.clientURL,
                    "GITFLEET_ETCD_PREFIX": fleet.prefix,
                ])
            #expect(retry.status == 0, "\(retry)")
            // The resync interval is the default 5 minutes: only the watch can make the leader try again now.
            try await fleet.waitUntil("the leader starts the retried spec", timeout: .seconds(60)) { records in
                records.contains { $0.specHash == brokenHash && !before.map(\.id).contains($0.id) }
            }
        }
    }

    @Test("retry --server: a standby refuses with 503 not_leader naming the leader, which retries at once")
    func retryThroughTheLeaderOnly() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let fleet = try EtcdFleet(etcd: etcd)
        let v1 = try fleet.fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.fleet.push()
        try await fleet.run(controllers: ["controller-a", "controller-b"]) { controllers in
            let (a, b) = (controllers[0], controllers[1])
            _ = await fleet.remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let broken = try fleet.fleet.commitWeb(
                "demo/web:broken", replicas: 2, progressDeadline: "10s", startTimeout: "2s")
            try fleet.fleet.push()
            let rolledBack = await fleet.remote.waitForNote(on: broken) { $0.contains("\nresult: rolled-back") }
            #expect(rolledBack?.contains("\nresult: rolled-back") == true, "\(a.log)")
            try await fleet.waitUntil("controller-b stands by", timeout: .seconds(30)) { _ in
                (try? await b.status()["role"] as? String) == "standby"
            }

            let refused = try await b.request("POST", "/api/v1/services/web/retry")
            #expect(refused.status == 503, "\(refused)")
            let body = try JSONSerialization.jsonObject(with: Data(refused.body.utf8)) as? [String: Any]
            #expect(body?["error"] as? String == "not_leader")
            #expect(body?["leader"] as? String == "controller-a")
            let standby = try await BuiltProducts.gitfleet([
                "retry", "web", "--server", "http://127.0.0.1:\(try await b.port())",
            ])
            #expect(standby.status == 1, "\(standby)")
            #expect(
                standby.standardError == "error: the controller stands by; ask the one that leads (controller-a)\n",
                "\(standby)")

            let before = try await fleet.observer.instances(service: "web").map(\.record)
            let brokenHash = try #require(before.first { $0.state == .quarantined }?.specHash)
            let leader = try await BuiltProducts.gitfleet([
                "retry", "web", "--server", "http://127.0.0.1:\(try await a.port())",
            ])
            #expect(leader.status == 0, "\(leader)\n\(a.log)")
            #expect(
                leader.standardOutput
                    == "web: failed spec \(brokenHash.short) will be tried again at the next reconcile\n")
            try await fleet.waitUntil("the leader starts the retried spec", timeout: .seconds(60)) { records in
                records.contains { $0.specHash == brokenHash && !before.map(\.id).contains($0.id) }
            }
        }
    }
}

/// A fleet repository with a bare remote, controllers that share its process runtime and an etcd registry,
/// and an unfenced etcd client to watch the registry from outside.
struct EtcdFleet {
    let fleet: EmbeddedFleet
    let remote: GitFixture
    let etcd: EtcdCluster
    let observer: EtcdRegistry
    /// The controllers' etcd prefix: a new one per fleet, because the runtime scope follows it, and two suites
    /// running at once with one scope would see each other's instances as their own (the invariant sampler
    /// finds instances by scope).
    let prefix = "/fleet-\(UUID().uuidString.prefix(8).lowercased())"

    init(etcd: EtcdCluster) throws {
        var fleet = try EmbeddedFleet()
        // The controllers' registry is etcd under the prefix: their runtime scope follows it.
        fleet.scope = RuntimeScope.derived(fromRegistry: "etcd:\(prefix)")
        self.fleet = fleet
        remote = try fleet.remote()
        self.etcd = etcd
        observer = try EtcdRegistry(configuration: EtcdConfiguration(endpoints: etcd.clientURLs, prefix: prefix))
        try fleet.installSlowImage()
    }

    /// Commits and pushes the slow v2 and returns once its first instance serves (while `revision`'s
    /// instances still do, when given): the moment a test strikes in the middle of a rollout.
    func startSlowRollout(whileServing revision: String? = nil) async throws -> String {
        let v2 = try fleet.commitWeb("demo/web:slow", replicas: 3)
        try fleet.push()
        try await waitUntil("the first v2 instance serves") { records in
            records.contains { $0.revision == v2 && $0.state == .serving }
                && (revision.map { old in records.contains { $0.revision == old && $0.state == .serving } } ?? true)
        }
        return v2
    }

    /// Runs `body` with one `gitfleet serve` per identity, started in order (the first one leads), each with
    /// its own state directory and `extra` flags, reaching etcd at `endpoints` (default: the members' own URLs,
    /// a proxy's to put something between them); stops them, the instances and etcd's client afterwards,
    /// however `body` ends.
    func run(
        controllers identities: [String], leaseTTL: String = "3s", extra: [String] = [], endpoints: [String]? = nil,
        _ body: ([ServeProcess]) async throws -> Void
    ) async throws {
        var controllers: [ServeProcess] = []
        do {
            for identity in identities {
                let controller = try ServeProcess(
                    fleet: fleet, remote: remote, stateDirectory: fleet.repository.directory.appending(identity),
                    controllerID: identity,
                    extra: [
                        "--registry", "etcd", "--etcd-endpoints", (endpoints ?? etcd.clientURLs).joined(separator: ","),
                        "--etcd-prefix", prefix, "--lease-ttl", leaseTTL, "--runtime-dir", fleet.stateDirectory,
                    ] + extra)
                controllers.append(controller)
                if controllers.count == 1 {
                    try await waitUntil("\(identity) leads", timeout: .seconds(30)) { _ in
                        (try? await controller.status()["role"] as? String) == "leader"
                    }
                }
            }
            try await body(controllers)
        } catch {
            for controller in controllers { await controller.stop() }
            await close()
            throw error
        }
        for controller in controllers { await controller.stop() }
        await close()
    }

    private func close() async {
        try? await observer.close()
        await fleet.tearDown()
    }

    /// Polls the registry (through etcd) until `condition` holds, or fails after `timeout`.
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(60), _ condition: ([InstanceRecord]) async -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let records = (try? await observer.instances(service: nil).map(\.record)) ?? []
            if await condition(records) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FixtureError("timed out waiting until \(what)")
    }

    /// Exactly `replicas` instances live, all serving `revision`, and the runtime runs exactly those.
    func expectOnly(revision: String, replicas: Int) async throws {
        let live = try await observer.instances(service: nil).map(\.record).filter { $0.state.isLive }
        #expect(live.count == replicas, "\(live.map { "\($0.id) \($0.state)" })")
        #expect(live.allSatisfy { $0.revision == revision && $0.state == .serving }, "\(live)")
        let running = try await fleet.inventory().filter { $0.status.isRunning }
        #expect(Set(running.map(\.instanceID)) == Set(live.map(\.id)), "a leaked or lost instance: \(running)")
        let endpoints = try await etcd.values(under: "\(prefix)/endpoints/web/")
        #expect(Set(endpoints.keys) == Set(live.map { "\(prefix)/endpoints/web/\($0.id)" }), "\(endpoints.keys)")
    }
}

extension ServeProcess {
    /// `GET /api/v1/status` as a JSON object.
    func status() async throws -> [String: Any] {
        let (status, body) = try await request("GET", "/api/v1/status")
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        else { throw FixtureError("status answered \(status): \(body)") }
        return object
    }
}
