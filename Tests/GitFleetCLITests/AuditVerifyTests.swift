import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// The signed, chained deployment record (issue 20): a real `gitfleet serve` with a `noteSigningKey` deploys
/// several commits, one rejected while the rollout before it still runs (so a note is re-linked); then
/// `gitfleet audit verify` on a plain clone with the notes fetched passes, and fails naming the commit after a
/// note is edited with plain `git notes`, another deleted, or one signed with a key that is not allowed.
@Suite("gitfleet audit verify: the signed, chained record")
struct AuditVerifyTests {
    @Test(
        "audit verify passes on the record serve wrote, and names the commit of each edit, deletion or foreign signature"
    )
    func verifyTheRecord() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        try fleet.installSlowImage()
        let keys = fleet.repository.directory.appending("keys")
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        let controllerKey = try SSHSigningKey(in: keys, name: "controller", principal: "gitfleet-test")
        let strangerKey = try SSHSigningKey(in: keys, name: "stranger", principal: "stranger")
        let allowed = keys.appending("/allowed_controllers")
        try "gitfleet-test namespaces=\"gitfleet-note\" \(controllerKey.publicKey)\n".write(
            toFile: allowed, atomically: true, encoding: .utf8)

        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        try await fleet.withServe(remote, extra: ["--note-signing-key", controllerKey.privateKeyPath]) { serve in
            let first = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            #expect(first?.contains("-----BEGIN SSH SIGNATURE-----") == true, "\(first ?? "")\n\(serve.log)")
            #expect(first?.contains("\nprevious:") == false, "the first note links to nothing: \(first ?? "")")
            // The slow version takes 1.5 s to listen: the rejection lands while its rollout is in progress, and
            // the note of v2 is rewritten after the rejected commit's note linked to it.
            let v2 = try fleet.commitWeb("demo/web:slow", replicas: 1)
            try fleet.push()
            _ = await remote.waitForNote(on: v2) { $0.contains("\nresult: in-progress") }
            try fleet.repository.git.write("services/broken.yaml", "apiVersion: gitfleet/v1\nkind: Service\n")
            let broken = try fleet.repository.git.commit("a broken manifest")
            try fleet.push()
            let rejected = await remote.waitForNote(on: broken) { $0.contains("\nresult: rejected") }
            #expect(rejected != nil, "\(serve.log)")
            let second = await remote.waitForNote(on: v2) { $0.contains("\nresult: converged") }
            #expect(second != nil, "\(serve.log)")
            try fleet.repository.git.remove("services/broken.yaml")
            let v3 = try fleet.commitWeb("demo/web:1.1.0", replicas: 1)
            try fleet.push()
            let third = await remote.waitForNote(on: v3) { $0.contains("\nresult: converged") }
            #expect(third != nil, "\(serve.log)")
            // Let the last push reach the remote before serve stops.
            try await Task.sleep(for: .seconds(1))
            await serve.stop()
            try await tamperAndVerify(
                remote: remote, clonePath: fleet.repository.directory.appending("auditor"), keys: keys,
                allowed: allowed,
                controllerKey: controllerKey, strangerKey: strangerKey, commits: (v1, v2, broken, v3))
        }
    }

    private func tamperAndVerify(
        remote: GitFixture, clonePath: String, keys: String, allowed: String, controllerKey: SSHSigningKey,
        strangerKey: SSHSigningKey, commits: (String, String, String, String)
    ) async throws {
        let (v1, v2, broken, v3) = commits

        try GitFixture.run(["git", "clone", "-q", remote.fileURL, clonePath])
        let clone = GitFixture.existing(at: clonePath, bare: false)
        _ = try clone.git("fetch", "-q", "origin", "refs/notes/gitfleet:refs/notes/gitfleet")
        func verify(_ extra: [String] = []) async throws -> BuiltProducts.Outcome {
            try await BuiltProducts.gitfleet(["audit", "verify", "--repo", clone.path] + extra)
        }
        let allowedControllers = ["--allowed-controllers", allowed]

        let intact = try await verify(allowedControllers)
        #expect(intact.status == 0, "\(intact)")
        #expect(
            intact.standardOutput.contains(
                "4 notes under refs/notes/gitfleet; signed: 4 by gitfleet-test; chain of 4 from \(v1.prefix(12)) to \(v3.prefix(12))"
            ), "\(intact)")
        #expect(intact.standardOutput.contains("OK: every note is signed"), "\(intact)")
        let unchecked = try await verify()
        #expect(
            unchecked.status == 0 && unchecked.standardOutput.contains("by key \(controllerKey.fingerprint)"),
            "\(unchecked)")

        // 1. One note's text edited with plain git notes, its signature kept.
        let original = try clone.git("notes", "--ref=gitfleet", "show", v2)
        try replaceNote(
            on: v2, in: clone, with: original.replacingOccurrences(of: "result: converged", with: "result: failed"))
        let edited = try await verify(allowedControllers)
        #expect(edited.status == 1, "\(edited)")
        #expect(edited.standardOutput.contains("BREAK \(v2): its note's signature fails"), "\(edited)")
        #expect(
            edited.standardOutput.contains("BREAK \(v2): its note is not the text the note on \(broken)"), "\(edited)")
        try replaceNote(on: v2, in: clone, with: original)
        #expect(try await verify(allowedControllers).status == 0)

        // 2. Another note deleted.
        let rejectedText = try clone.git("notes", "--ref=gitfleet", "show", broken)
        _ = try clone.git("notes", "--ref=gitfleet", "remove", broken)
        let deleted = try await verify(allowedControllers)
        #expect(deleted.status == 1, "\(deleted)")
        #expect(
            deleted.standardOutput.contains("BREAK \(broken): its note is missing, but the note on \(v3)"), "\(deleted)"
        )
        try replaceNote(on: broken, in: clone, with: rejectedText)
        #expect(try await verify(allowedControllers).status == 0)

        // 3. A note signed with a key that is not allowed (its text otherwise the controller's).
        let last = SignedNote(text: try clone.git("notes", "--ref=gitfleet", "show", v3))
        let payload = keys.appending("/payload")
        try last.body.write(toFile: payload, atomically: true, encoding: .utf8)
        _ = try GitFixture.run([
            "ssh-keygen", "-Y", "sign", "-q", "-f", strangerKey.privateKeyPath, "-n", "gitfleet-note", payload,
        ])
        let forged = SignedNote(
            body: last.body, signature: try String(contentsOfFile: payload + ".sig", encoding: .utf8))
        try replaceNote(on: v3, in: clone, with: forged.text)
        let foreign = try await verify(allowedControllers)
        #expect(foreign.status == 1, "\(foreign)")
        #expect(
            foreign.standardOutput.contains(
                "BREAK \(v3): its note's signature fails: signed with key \(strangerKey.fingerprint), which is not an allowed controller's"
            ), "\(foreign)")
        let json = try await verify(allowedControllers + ["--json"])
        let document = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
        #expect(document?["holds"] as? Bool == false && (document?["breaks"] as? [Any])?.count == 1, "\(json)")
    }

    /// Replaces the note on `commit` with exactly `text`: stored as a blob first, because `git notes add -F`
    /// would tidy its whitespace.
    private func replaceNote(on commit: String, in clone: GitFixture, with text: String) throws {
        let file = clone.path + "/../note-\(UUID().uuidString)"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let blob = try clone.git("hash-object", "-w", file).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try clone.git("notes", "--ref=gitfleet", "add", "-f", "-C", blob, commit)
    }
}
