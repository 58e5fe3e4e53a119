import FleetController
import FleetModel
import Foundation
import GitFleetTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Operators' day-2 controls on a real `gitfleet serve` with API tokens: suspend, resume and rollback through the
/// API and the CLI's client mode, with real processes, a real remote and its notes read with the git CLI.
@Suite("gitfleet serve: suspend, resume and rollback, recorded in the notes and events", .serialized)
struct ServeControlsTests {
    typealias Call = ServeAuthenticationTests

    /// The JSON object of an answer.
    static func object(_ answer: Call.Answer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any], "\(answer)")
    }

    /// Web's entry in the status, read with `token`.
    static func web(_ port: Int, token: String) async throws -> [String: Any] {
        let status = try object(try await Call.call(port, "GET", "/api/v1/status", token: token))
        let services = try #require(status["services"] as? [[String: Any]], "\(status)")
        return try #require(services.first { $0["name"] as? String == "web" }, "\(status)")
    }

    /// Polls until the serving instances of web are `count`, all of `image`, and none of `excluding`.
    static func waitServing(
        _ fleet: EmbeddedFleet, _ count: Int, image: String, excluding: Set<String> = [],
        timeout: Duration = .seconds(90)
    ) async throws -> [InstanceRecord] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var serving: [InstanceRecord] = []
        while ContinuousClock.now < deadline {
            serving = try await fleet.records().filter { $0.service == "web" && $0.state == .serving }
            if serving.count == count && serving.allSatisfy({ $0.image.contains(image) && !excluding.contains($0.id) })
            {
                break
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return serving
    }

    @Test(
        "suspend needs operate; a suspended web ignores a commit but heals; resume rolls it; rollback pins the previous spec until a commit; every action is in the note and the events"
    )
    func suspendResumeRollback() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        let applied = try await fleet.apply()
        #expect(applied.status == 0, "\(applied)")
        try fleet.push()
        let readFile = fleet.repository.directory.appending("token-ci")
        let aliceFile = fleet.repository.directory.appending("token-alice")
        let (read, alice) = ("read-\(UUID().uuidString)", "operate-\(UUID().uuidString)")
        try Call.writeToken(read, to: readFile)
        try Call.writeToken(alice, to: aliceFile)
        let tokens = "ci scope=read file=\(readFile),alice scope=operate file=\(aliceFile)"
        try await fleet.withServe(remote, extra: ["--api-tokens", tokens]) { serve in
            let port = try await serve.port()
            let server = "http://127.0.0.1:\(port)"
            // The controller has taken the head it runs (web converged at v1) before anything is asked.
            let settled = await remote.waitForNote(on: v1, timeout: .seconds(60)) { $0.contains("result: converged") }
            #expect(settled != nil, "\(serve.log)")
            var converged = false
            for _ in 0..<120 where !converged {
                converged = (try? await Self.web(port, token: read)["result"] as? String) == "converged"
                if !converged { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(converged, "\(serve.log)")

            // A read token may not act.
            let forbidden = try await Call.call(port, "POST", "/api/v1/services/web/suspend", token: read)
            #expect(forbidden.status == 403, "\(forbidden)")

            // alice suspends web through the CLI's client mode.
            let suspended = try await BuiltProducts.gitfleet([
                "suspend", "web", "--reason", "incident 42: payments flaky", "--server", server,
                "--server-token-file", aliceFile,
            ])
            #expect(suspended.status == 0, "\(suspended)")
            #expect(suspended.standardOutput.contains("web is suspended"), "\(suspended)")
            let mark = try #require(try await Self.web(port, token: read)["suspended"] as? [String: Any])
            #expect(mark["by"] as? String == "alice" && mark["reason"] as? String == "incident 42: payments flaky")
            let twice = try await Call.call(port, "POST", "/api/v1/services/web/suspend", token: alice)
            #expect(twice.status == 409 && twice.body.contains("suspended already"), "\(twice)")

            // A commit changing web is held: the registry still runs v1, the status says why.
            let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 2)
            try fleet.push()
            let held = await remote.waitForNote(on: v2, timeout: .seconds(60)) {
                $0.contains("waiting: suspended by alice")
            }
            #expect(
                held?.contains("waiting: suspended by alice (incident 42: payments flaky)") == true, "\(held ?? "")")
            let waiting = try await Self.web(port, token: read)
            #expect(waiting["result"] as? String == "waiting", "\(waiting)")
            #expect((waiting["reason"] as? String)?.contains("suspended by alice") == true, "\(waiting)")
            let shown = try await BuiltProducts.gitfleet([
                "status", "--server", server, "--server-token-file", readFile,
            ])
            #expect(
                shown.standardOutput.contains("suspended: web by alice at ")
                    && shown.standardOutput.contains("(incident 42: payments flaky); new rollouts wait"), "\(shown)")
            let before = try await Self.waitServing(fleet, 2, image: "1.0.0", timeout: .seconds(5))
            #expect(before.count == 2, "\(before)")

            // Self-healing goes on: a killed instance is replaced, at v1.
            let victim = try #require(before.first)
            let pid = try #require(Int32(victim.runtimeHandle ?? ""), "the process runtime's handle is the pid")
            #expect(kill(pid, SIGKILL) == 0)
            let healed = try await Self.waitServing(fleet, 2, image: "1.0.0", excluding: [victim.id])
            #expect(healed.count == 2 && !healed.contains { $0.id == victim.id }, "\(healed)\n\(serve.log)")

            // resume (the API, with a reason): v2 rolls out at once.
            let resumed = try await Call.call(
                port, "POST", "/api/v1/services/web/resume", token: alice, body: #"{"reason": "payments fixed"}"#)
            #expect(resumed.status == 200, "\(resumed)")
            let reply = try Self.object(resumed)
            #expect(reply["action"] as? String == "resume" && reply["by"] as? String == "alice")
            let rolled = await remote.waitForNote(on: v2, timeout: .seconds(120)) { $0.contains("result: converged") }
            #expect(rolled?.contains("result: converged") == true, "\(rolled ?? "")\n\(serve.log)")
            #expect(try await Self.waitServing(fleet, 2, image: "1.1.0", timeout: .seconds(10)).count == 2)
            #expect(try await Self.web(port, token: read)["suspended"] == nil)

            // The notes, read with git: the suspension on v1 (where the fleet was), the resume on v2, whose
            // note the tracker rewrote as converged after the resume was recorded, keeping it.
            let v1Note = remote.gitfleetNote(on: v1) ?? ""
            #expect(
                v1Note.contains("action: suspend, service: web, by: alice")
                    && v1Note.contains("incident 42: payments flaky"), "\(v1Note)")
            #expect(v1Note.components(separatedBy: "action: suspend").count == 2, "recorded once: \(v1Note)")
            let v2Note = try #require(remote.gitfleetNote(on: v2))
            #expect(v2Note.contains("result: converged"), "\(v2Note)")
            #expect(v2Note.contains("action: resume, service: web, by: alice"), "\(v2Note)")
            #expect(v2Note.contains(#"reason: "payments fixed""#), "\(v2Note)")

            // The commit document shows them too.
            let document = try Self.object(try await Call.call(port, "GET", "/api/v1/commits/\(v2)", token: read))
            let actions = try #require(document["actions"] as? [[String: Any]], "\(document)")
            #expect(
                actions.contains {
                    $0["action"] as? String == "resume" && $0["by"] as? String == "alice"
                        && $0["reason"] as? String == "payments fixed"
                }, "\(actions)")

            // rollback: back to v1 without a commit, and it holds across passes.
            let rollback = try await Call.call(
                port, "POST", "/api/v1/services/web/rollback", token: alice, body: #"{"reason": "1.1.0 leaks"}"#)
            #expect(rollback.status == 200, "\(rollback)")
            #expect((try Self.object(rollback)["image"] as? String)?.contains("1.0.0") == true, "\(rollback)")
            #expect(try await Self.waitServing(fleet, 2, image: "1.0.0").count == 2, "\(serve.log)")
            let pinned = try #require(try await Self.web(port, token: read)["pinned"] as? [String: Any])
            #expect(pinned["by"] as? String == "alice" && (pinned["image"] as? String)?.contains("1.0.0") == true)
            try await Task.sleep(for: .seconds(4))
            let still = try await fleet.records().filter { $0.service == "web" && $0.state.isLive }
            #expect(still.count == 2 && still.allSatisfy { $0.image.contains("1.0.0") }, "\(still)")
            let pinShown = try await BuiltProducts.gitfleet([
                "status", "web", "--server", server, "--server-token-file", readFile,
            ])
            #expect(
                pinShown.standardOutput.contains("rolled back: web to ")
                    && pinShown.standardOutput.contains("(1.1.0 leaks) until a commit changes it"), "\(pinShown)")
            let again = try await Call.call(port, "POST", "/api/v1/services/web/rollback", token: alice)
            #expect(again.status == 409, "\(again)")
            let v2Pinned = await remote.waitForNote(on: v2, timeout: .seconds(20)) { $0.contains("action: rollback") }
            #expect(v2Pinned?.contains("action: rollback, service: web, by: alice") == true, "\(v2Pinned ?? "")")

            // A commit changing web releases the pin: v3 rolls out.
            let v3 = try fleet.commitWeb("demo/web:2.0.0", replicas: 2)
            try fleet.push()
            let released = await remote.waitForNote(on: v3, timeout: .seconds(120)) { $0.contains("result: converged") }
            #expect(released?.contains("result: converged") == true, "\(released ?? "")\n\(serve.log)")
            #expect(try await Self.waitServing(fleet, 2, image: "2.0.0", timeout: .seconds(10)).count == 2)
            #expect(try await Self.web(port, token: read)["pinned"] == nil)

            let events = try Self.object(try await Call.call(port, "GET", "/api/v1/events?limit=1000", token: read))
            let list = try #require(events["events"] as? [[String: Any]], "\(events)")
            func by(_ type: String) -> [String: Any]? { list.last { $0["type"] as? String == type } }
            #expect(by("service-suspended")?["by"] as? String == "alice", "\(list)")
            #expect(by("service-suspended")?["reason"] as? String == "incident 42: payments flaky")
            #expect(by("service-resumed")?["by"] as? String == "alice")
            #expect(by("service-pinned")?["reason"] as? String == "1.1.0 leaks")
            #expect(by("service-unpinned")?["service"] as? String == "web", "\(list)")
            #expect(!serve.log.contains(alice) && !serve.log.contains(read), "no token in the log")
        }
    }

    @Test(
        "suspend without a service, written with the registry's credentials as cli:USER, holds every service (a new one too) until the fleet is resumed"
    )
    func fleetSuspension() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        let applied = try await fleet.apply()
        #expect(applied.status == 0, "\(applied)")
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let port = try await serve.port()
            let settled = await remote.waitForNote(on: v1, timeout: .seconds(60)) { $0.contains("result: converged") }
            #expect(settled != nil, "\(serve.log)")

            let suspended = try await BuiltProducts.gitfleet(
                ["suspend", "--reason", "release freeze", "--state-dir", fleet.stateDirectory],
                environment: ["USER": "carol"])
            #expect(suspended.status == 0, "\(suspended)")
            #expect(suspended.standardOutput.contains("the fleet is suspended"), "\(suspended)")

            // A commit that changes web and adds api: both wait.
            try fleet.repository.git.write(
                "services/web.yaml", FleetRepository.service("web", image: "demo/web:1.1.0", replicas: 1))
            try fleet.repository.git.write(
                "services/api.yaml", FleetRepository.service("api", image: "demo/web:1.0.0", replicas: 1))
            let v2 = try fleet.repository.git.commit("web 1.1.0, api")
            try fleet.push()
            let held = await remote.waitForNote(on: v2, timeout: .seconds(60)) {
                $0.contains("web: waiting: suspended by cli:carol")
                    && $0.contains("api: waiting: suspended by cli:carol")
            }
            #expect(held != nil, "\(held ?? "no note")\n\(serve.log)")
            let status = try Self.object(try await Call.call(port, "GET", "/api/v1/status"))
            let mark = try #require(status["suspended"] as? [String: Any], "\(status)")
            #expect(mark["by"] as? String == "cli:carol" && mark["reason"] as? String == "release freeze")
            let shown = try await BuiltProducts.gitfleet(["status", "--state-dir", fleet.stateDirectory])
            #expect(shown.standardOutput.contains("suspended: the fleet by cli:carol at "), "\(shown)")
            let records = try await fleet.records().filter { $0.state.isLive }
            #expect(records.count == 1 && records.allSatisfy { $0.service == "web" && $0.image.contains("1.0.0") })

            // The fleet resumed through the API: both roll out, and the resume is in v2's note.
            let resumed = try await Call.call(port, "POST", "/api/v1/resume", body: #"{"reason": "freeze over"}"#)
            #expect(resumed.status == 200, "\(resumed)")
            let rolled = await remote.waitForNote(on: v2, timeout: .seconds(120)) { $0.contains("result: converged") }
            #expect(rolled?.contains("result: converged") == true, "\(rolled ?? "")\n\(serve.log)")
            #expect(rolled?.contains("action: resume, by: anonymous") == true, "\(rolled ?? "")")
            // The suspension written to the registry directly was recorded by the controller when it saw it.
            #expect(rolled?.contains(#"action: suspend, by: "cli:carol""#) == true, "\(rolled ?? "")")
            #expect(rolled?.contains("release freeze") == true, "\(rolled ?? "")")
            let live = try await fleet.records().filter { $0.state == .serving }
            #expect(Set(live.map(\.service)) == ["web", "api"], "\(live)")
            let again = try await Call.call(port, "POST", "/api/v1/resume")
            #expect(again.status == 409, "\(again)")
        }
    }
}
