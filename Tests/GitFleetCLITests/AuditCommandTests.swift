import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// `gitfleet audit at` and `audit export` read the record a real `gitfleet serve` wrote while it deployed, rolled
/// back, was rolled back by an operator and rejected a commit; what they say is held against the notes' own times and
/// against what the registry says runs.
@Suite("gitfleet audit against a real controller's record", .serialized)
struct AuditCommandTests {
    @Test(
        "audit at names what ran before, during and after rollouts and rollbacks, with commit, image, result and who; audit export lists every event once as CSV and JSON"
    )
    func auditTheRecord() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        try fleet.installSlowImage()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            var notes: [String: StatusAnnotation] = [:]
            func settled(_ commit: String, _ result: String) async throws -> StatusAnnotation {
                let note = await remote.waitForNote(on: commit) { $0.contains("\nresult: \(result)") }
                let text = try #require(note, "no \(result) note on \(commit)\n\(serve.log)")
                let annotation = try StatusAnnotation(yaml: text)
                try #require(annotation.result.rawValue == result, "\(text)\n\(serve.log)")
                return annotation
            }
            notes[v1] = try await settled(v1, "converged")
            // demo/web:slow takes 1.5 s to listen, so its rollout has a moment in between.
            try fleet.commitWeb("demo/web:slow", replicas: 1)
            let v2 = try Self.recommit(fleet.repository.git, committer: "Carol Merger", email: "carol@example.com")
            try fleet.push()
            notes[v2] = try await settled(v2, "converged")

            // The record is to the second: the operator acts in a later one, so a moment shows v2's result alone.
            try await Task.sleep(for: .milliseconds(1100))
            let server = "http://127.0.0.1:\(try await serve.port())"
            let rollback = try await BuiltProducts.gitfleet([
                "rollback", "web", "--server", server, "--reason", "slow start, going back",
            ])
            try #require(rollback.status == 0, "\(rollback)\n\(serve.log)")
            let recorded = await remote.waitForNote(on: v2) { $0.contains("action: rollback") }
            notes[v2] = try StatusAnnotation(yaml: try #require(recorded, "\(serve.log)"))
            try await fleet.waitUntil("web serves 1.0.0 again", log: serve) { records in
                let live = records.filter { $0.state.isLive }
                return live.count == 1 && live.allSatisfy { $0.state == .serving && $0.image.contains(":1.0.0@") }
            }

            // A commit changing web releases the pin; its image never gets healthy and is rolled back.
            let v3 = try fleet.commitWeb("demo/web:broken", replicas: 1, progressDeadline: "10s", startTimeout: "2s")
            try fleet.push()
            notes[v3] = try await settled(v3, "rolled-back")

            try fleet.repository.git.write("services/api.yaml", "apiVersion: gitfleet/v1\nkind: Service\n")
            let v4 = try fleet.repository.git.commit("an api without a spec")
            try fleet.push()
            notes[v4] = try await settled(v4, "rejected")
            let live = try await fleet.records().filter { $0.service == "web" && $0.state == .serving }.map(\.image)
            // The record is read from the remote with the controller stopped, so nothing moves underneath.
            await serve.stop()
            try await Self.check(fleet: fleet, remote: remote, notes: notes, commits: [v1, v2, v3, v4], serving: live)
        }
    }

    static func check(
        fleet: EmbeddedFleet, remote: GitFixture, notes: [String: StatusAnnotation], commits: [String],
        serving: [String]
    ) async throws {
        let (v1, v2, v3, v4) = (commits[0], commits[1], commits[2], commits[3])
        let first = try #require(notes[v1]?.started)
        let v1Image = try #require(notes[v1]?.services["web"]?.to)
        let slowImage = try #require(notes[v2]?.services["web"]?.to)
        let (v2Started, v2Finished) = (try #require(notes[v2]?.started), try #require(notes[v2]?.finished))
        let action = try #require(notes[v2]?.actions.first { $0.action == "rollback" })
        let (v3Started, v3Finished) = (try #require(notes[v3]?.started), try #require(notes[v3]?.finished))
        try #require(v2Finished > v2Started, "the slow rollout lasted at least a second")

        func audit(_ arguments: [String]) async throws -> BuiltProducts.Outcome {
            try await BuiltProducts.gitfleet(["audit"] + arguments + ["--repo", remote.path])
        }
        func moment(_ time: Date) async throws -> [String: Any] {
            let outcome = try await audit(["at", AuditTime.format(time), "--json"])
            try #require(outcome.status == 0, "\(outcome)")
            return try #require(
                try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any])
        }
        func web(_ answer: [String: Any]) -> [String: Any] {
            (answer["services"] as? [[String: Any]])?.first { $0["service"] as? String == "web" } ?? [:]
        }
        func commit(_ object: Any?) -> String? { (object as? [String: Any])?["commit"] as? String }

        // Before the first deployment: nothing ran.
        let before = try await moment(first.addingTimeInterval(-1))
        #expect((before["services"] as? [Any])?.isEmpty == true && (before["inProgress"] as? [Any])?.isEmpty == true)
        let beforeText = try await audit(["at", AuditTime.format(first.addingTimeInterval(-1))])
        #expect(
            beforeText.standardOutput.contains("nothing runs: the first deployment began at \(AuditTime.format(first))")
        )

        // During the slow rollout: 1.0.0 runs, put there by v1; v2 is in progress from 1.0.0 to slow.
        let during = try await moment(v2Started)
        #expect(web(during)["state"] as? String == "running" && web(during)["image"] as? String == v1Image, "\(during)")
        let v1Deployment = web(during)["deployment"] as? [String: Any]
        #expect(commit(v1Deployment) == v1 && v1Deployment?["result"] as? String == "converged")
        #expect(v1Deployment?["author"] as? String == "Fleet Tester <tester@gitfleet.invalid>", "\(during)")
        #expect(v1Deployment?["committer"] as? String == "Fleet Tester <tester@gitfleet.invalid>")
        #expect(v1Deployment?["signature"] as? String == "unverified" && v1Deployment?["signer"] is NSNull)
        let inProgress = try #require((during["inProgress"] as? [[String: Any]])?.first, "\(during)")
        #expect(commit(inProgress) == v2 && (during["inProgress"] as? [Any])?.count == 1)
        let change = (inProgress["services"] as? [[String: Any]])?.first
        #expect(change?["from"] as? String == v1Image && change?["to"] as? String == slowImage, "\(inProgress)")
        let duringText = try await audit(["at", AuditTime.format(v2Started), "web"])
        #expect(duringText.status == 0, "\(duringText)")
        #expect(duringText.standardOutput.contains("web: running \(v1Image)\n"), "\(duringText)")
        #expect(duringText.standardOutput.contains("  deployed by \(v1)  web demo/web:1.0.0"), "\(duringText)")
        #expect(duringText.standardOutput.contains("in progress:\n  deployment \(v2)  web demo/web:slow"))
        #expect(duringText.standardOutput.contains("service    web converged, \(v1Image) → \(slowImage)"))

        // After it: slow runs, put there by v2, converged.
        let after = try await moment(v2Finished)
        #expect(web(after)["state"] as? String == "running" && web(after)["image"] as? String == slowImage)
        #expect(commit(web(after)["deployment"]) == v2 && (after["inProgress"] as? [Any])?.isEmpty == true)
        let v2Deployment = web(after)["deployment"] as? [String: Any]
        #expect(v2Deployment?["author"] as? String == "Fleet Tester <tester@gitfleet.invalid>", "\(after)")
        #expect(v2Deployment?["committer"] as? String == "Carol Merger <carol@example.com>", "\(after)")

        // After the operator's rollback: 1.0.0 again, v1's, and the action names who and why.
        let pinned = try await moment(action.at)
        #expect(
            web(pinned)["state"] as? String == "rolled-back" && web(pinned)["image"] as? String == v1Image, "\(pinned)")
        #expect(commit(web(pinned)["deployment"]) == v1)
        let recordedAction = web(pinned)["action"] as? [String: Any]
        #expect(recordedAction?["by"] as? String == "anonymous" && recordedAction?["commit"] as? String == v2)
        #expect(recordedAction?["reason"] as? String == "slow start, going back")

        // During the broken rollout, and after it rolled back: 1.0.0 stays, the rollback is named.
        let duringBroken = try await moment(v3Started)
        #expect(
            web(duringBroken)["image"] as? String == v1Image
                && commit((duringBroken["inProgress"] as? [Any])?.first) == v3)
        let rolledBack = try await moment(v3Finished)
        #expect(web(rolledBack)["state"] as? String == "rolled-back" && web(rolledBack)["image"] as? String == v1Image)
        #expect(
            commit(web(rolledBack)["deployment"]) == v1 && commit(web(rolledBack)["rollback"]) == v3, "\(rolledBack)")
        let rolledBackText = try await audit(["at", AuditTime.format(v3Finished)])
        #expect(rolledBackText.standardOutput.contains("web: rolled-back, running \(v1Image)\n"), "\(rolledBackText)")
        #expect(rolledBackText.standardOutput.contains("  rolled back in \(v3)  web demo/web:broken"))
        #expect(rolledBackText.standardOutput.contains("in progress: nothing"))

        // Now (the rejected commit changed nothing), read through a URL as an auditor's clone would.
        let cache = fleet.repository.directory.appending("audit-cache")
        let now = try await BuiltProducts.gitfleet([
            "audit", "at", "now", "web", "--json", "--repo", remote.fileURL, "--cache-dir", cache,
        ])
        #expect(now.status == 0, "\(now)")
        let nowAnswer = try JSONSerialization.jsonObject(with: Data(now.standardOutput.utf8)) as? [String: Any]
        #expect(web(nowAnswer ?? [:])["image"] as? String == v1Image, "\(now)")
        #expect(serving == [v1Image], "the audit says what the registry said serves")

        // Export: one row per event, oldest first.
        let csv = try await audit(["export", "--format", "csv"])
        #expect(csv.status == 0 && csv.standardError.isEmpty, "\(csv)")
        let rows = try #require(Self.csv(csv.standardOutput), "not RFC 4180: \(csv.standardOutput)")
        #expect(rows.first == AuditEvent.Column.allCases.map(\.rawValue))
        let column = Dictionary(uniqueKeysWithValues: AuditEvent.Column.allCases.enumerated().map { ($1, $0) })
        let events = rows.dropFirst().map { ($0[column[.event]!], $0[column[.commit]!]) }
        #expect(events.map(\.0) == ["deployment", "deployment", "action", "rollback", "rejection"], "\(rows)")
        #expect(events.map(\.1) == [v1, v2, v2, v3, v4], "\(rows)")
        let rollbackRow = rows[4]
        #expect(rollbackRow[column[.from]!] == v1Image && rollbackRow[column[.result]!] == "rolled-back")
        #expect(rollbackRow[column[.time]!] == AuditTime.format(v3Started))
        #expect(rows[3][column[.by]!] == "anonymous" && rows[3][column[.action]!] == "rollback")
        #expect(rows.allSatisfy { $0.count == AuditEvent.Column.allCases.count })

        let json = try await audit(["export", "--format", "json"])
        let objects = try #require(
            try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
        #expect(objects.map { $0["event"] as? String } == events.map(\.0))
        #expect(objects.map { $0["commit"] as? String } == events.map(\.1))
        // Since v2's start, until v3 finished (exclusive): v2, the operator's action and v3's rollback; the rejection
        // came after v3 finished.
        let ranged = try await audit([
            "export", "--since", AuditTime.format(v2Started), "--until", AuditTime.format(v3Finished),
        ])
        let rangedRows = Self.csv(ranged.standardOutput)?.dropFirst().map { $0[column[.commit]!] }
        #expect(rangedRows == [v2, v2, v3], "\(ranged)")

        // A hand-written note is a warning naming its commit, and the rest of the record still reads.
        let stray = try fleet.repository.git.commit("an unrelated commit")
        try fleet.push()
        _ = try remote.git("notes", "--ref=gitfleet", "add", "-m", "looks fine to me", stray)
        let withStray = try await audit(["export"])
        #expect(withStray.status == 0 && Self.csv(withStray.standardOutput)?.count == 6, "\(withStray)")
        #expect(withStray.standardError.contains("warning: the note on \(stray.prefix(8))"), "\(withStray)")

        // Bad input: a usage error naming the argument and the forms; an unknown service is an error.
        let badTime = try await audit(["at", "yesterday"])
        #expect(badTime.status == 64, "\(badTime)")
        #expect(badTime.standardError.contains("TIME: 'yesterday' is not a time"), "\(badTime)")
        #expect(badTime.standardError.split(separator: "\n").count == 1, "\(badTime)")
        let badSince = try await audit(["export", "--since", "2026-11-27T10:00:00"])
        #expect(badSince.status == 64 && badSince.standardError.contains("--since: "), "\(badSince)")
        let unknown = try await audit(["at", "now", "wbe"])
        #expect(unknown.status == 1 && unknown.standardError.contains("'wbe' (it names web)"), "\(unknown)")
    }

    /// Amends HEAD with another committer (the author stays), as a merge by someone else records it; the new id.
    static func recommit(_ git: GitFixture, committer: String, email: String) throws -> String {
        try GitFixture.run(
            ["git", "-C", git.path, "-c", "commit.gpgsign=false", "commit", "-q", "--amend", "--no-edit"],
            environment: [
                "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_COMMITTER_NAME": committer,
                "GIT_COMMITTER_EMAIL": email,
            ])
        return try git.revParse("HEAD")
    }

    /// RFC 4180 records (CRLF line ends, quoted fields with doubled quotes), or nil for text that is not.
    static func csv(_ text: String) -> [[String]]? {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var rest = Array(text.unicodeScalars)[...]
        while let character = rest.popFirst() {
            switch (quoted, character) {
            case (true, "\""):
                if rest.first == "\"" { field.unicodeScalars.append(rest.removeFirst()) } else { quoted = false }
            case (true, _): field.unicodeScalars.append(character)
            case (false, "\""):
                guard field.isEmpty else { return nil }
                quoted = true
            case (false, ","):
                record.append(field)
                field = ""
            case (false, "\r"):
                guard rest.popFirst() == "\n" else { return nil }
                records.append(record + [field])
                (record, field) = ([], "")
            case (false, "\n"): return nil
            default: field.unicodeScalars.append(character)
            }
        }
        return quoted || !field.isEmpty || !record.isEmpty ? nil : records
    }
}
