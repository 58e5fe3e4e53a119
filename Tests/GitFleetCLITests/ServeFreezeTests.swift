import FleetController
import FleetModel
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet serve holds new specs inside a freeze window and rolls them out when it closes", .serialized)
struct ServeFreezeTests {
    @Test("a commit pushed inside a one-off window waits (status shows the window) and rolls out by itself after it")
    func heldUntilTheWindowCloses() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        let applied = try await fleet.apply()
        #expect(applied.status == 0, "\(applied)")
        try fleet.push()
        // Open now, closing a little later: long enough on a loaded machine for serve to start, take the
        // head it already runs and see the next push inside the window.
        let until = Date().addingTimeInterval(25)
        let window =
            "release from=\(FreezeWindow.timestamp(Date().addingTimeInterval(-60))) "
            + "until=\(FreezeWindow.timestamp(until)) reason=\"release day\""
        try await fleet.withServe(remote, extra: ["--freeze-windows", window]) { serve in
            let v2 = try fleet.commitWeb("demo/web:2.0.0", replicas: 2)
            try fleet.push()

            // Held: the note says why, the status shows the window, the service stays on 1.0.0.
            let held = await remote.waitForNote(on: v2, timeout: .seconds(20)) {
                $0.contains("waiting: freeze window release (release day) until")
            }
            #expect(
                held?.contains("waiting: freeze window release (release day) until") == true,
                "\(held ?? "no note")\n\(serve.log)")
            #expect(Date() < until, "the hold was seen while the window was open")
            let (code, body) = try await serve.request("GET", "/api/v1/status")
            #expect(code == 200)
            let status = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let freeze = try #require(status["freeze"] as? [String: Any], "\(body)")
            let active = try #require(freeze["active"] as? [[String: Any]], "\(body)")
            #expect(
                active.first?["name"] as? String == "release" && active.first?["reason"] as? String == "release day")
            let services = try #require(status["services"] as? [[String: Any]], "\(body)")
            let web = try #require(services.first { $0["name"] as? String == "web" }, "\(body)")
            #expect(web["result"] as? String == "waiting", "\(body)")
            #expect((web["reason"] as? String)?.contains("freeze window release") == true, "\(body)")
            #expect(status["result"] as? String == "in-progress", "\(body)")
            let records = try await fleet.records().filter { $0.state == .serving }
            #expect(records.count == 2 && records.allSatisfy { $0.image.contains("1.0.0") }, "\(records)")
            #expect(try await serve.request("GET", "/readyz").status == 200, "a window does not make it unready")
            let commit = try await serve.request("GET", "/api/v1/commits/\(v2)")
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(commit.body.utf8)) as? [String: Any], "\(commit)")
            #expect(document["state"] as? String == "in-progress", "\(commit)")
            #expect(
                (document["reason"] as? String)?.hasPrefix("web: waiting: freeze window release (release day) until")
                    == true, "\(commit)")
            let cli = try await BuiltProducts.gitfleet([
                "status", "--server", "http://127.0.0.1:\(try await serve.port())",
            ])
            #expect(
                cli.standardOutput.contains("freeze: release (release day) until ")
                    && cli.standardOutput.contains("; new rollouts wait"), "\(cli)")
            let events = try await serve.events(since: 0)
            #expect(events.contains { $0.type == .freezeWindowOpened }, "\(events.map(\.type))")
            #expect(events.contains { $0.type == .deploymentHeld && $0.service == "web" && $0.commit == v2 })

            // The window closes: the held commit rolls out without another push.
            let converged = await remote.waitForNote(on: v2, timeout: .seconds(120)) {
                $0.contains("result: converged")
            }
            #expect(converged?.contains("result: converged") == true, "\(converged ?? "no note")\n\(serve.log)")
            #expect(Date() >= until, "nothing rolled before the window closed")
            let after = try await fleet.records().filter { $0.state == .serving }
            #expect(after.count == 2 && after.allSatisfy { $0.image.contains("2.0.0") }, "\(after)")
            let later = try await serve.events(since: 0)
            #expect(later.contains { $0.type == .freezeWindowClosed }, "\(later.map(\.type))")
            let metrics = try await serve.request("GET", "/metrics").body
            #expect(metrics.contains("gitfleet_freeze_active{service=\"web\"} 0"), "\(metrics)")
        }
    }

    @Test("serve refuses to start with a bad window, naming the setting and the window")
    func badWindow() async throws {
        let fleet = try EmbeddedFleet()
        let outcome = try await BuiltProducts.gitfleet(
            [
                "serve", "--repo", fleet.repository.path, "--state-dir", fleet.stateDirectory, "--listen-port", "0",
                "--freeze-windows", "weekend schedule=\"0 18 * *\" duration=64h",
            ])
        await fleet.tearDown()
        #expect(outcome.status != 0, "\(outcome)")
        #expect(
            outcome.standardError.contains(
                "--freeze-windows: freeze window 'weekend': schedule '0 18 * *' has 4 fields (expected 5"),
            "\(outcome)")
    }
}
