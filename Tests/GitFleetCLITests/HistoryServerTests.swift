import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet history against a running controller", .serialized)
struct HistoryServerTests {
    @Test("history --server prints what history --repo prints from a clone, in text and JSON")
    func sameAsLocal() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let first = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let converged: (String) -> Bool = { $0.contains("\nresult: converged") }
            try #require(await remote.waitForNote(on: first, converged).map(converged) == true, "\(serve.log)")
            let second = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
            try fleet.push()
            try #require(await remote.waitForNote(on: second, converged).map(converged) == true, "\(serve.log)")
            let server = "http://127.0.0.1:\(try await serve.port())"

            let clonePath = fleet.repository.directory.appending("audit")
            _ = try fleet.repository.git.git("clone", "-q", remote.fileURL, clonePath)
            // A clone leaves the notes behind; an auditor fetches them.
            _ = try GitFixture.existing(at: clonePath, bare: false).git(
                "fetch", "-q", "origin", "refs/notes/*:refs/notes/*")
            for extra in [[], ["--json"], ["web"], ["web", "--json"]] {
                let local = try await BuiltProducts.gitfleet(["history", "--repo", clonePath] + extra)
                let viaServer = try await BuiltProducts.gitfleet(["history", "--server", server] + extra)
                #expect(local.status == 0, "\(local)")
                #expect(viaServer.status == 0, "\(viaServer)")
                #expect(viaServer.standardOutput == local.standardOutput, "\(extra)")
                for commit in [first, second] {
                    #expect(local.standardOutput.contains(commit.prefix(12)), "\(extra): \(local)")
                }
            }
            let limited = try await serve.request("GET", "/api/v1/history?limit=1")
            #expect(limited.status == 200, "\(limited)")
            // Only the newest entry; its `previous` link names the first commit, so look at the entries' commits.
            let entries = try JSONSerialization.jsonObject(with: Data(limited.body.utf8)) as? [[String: Any]]
            #expect(entries?.map { $0["commit"] as? String } == [second], "\(limited)")
            let badLimit = try await serve.request("GET", "/api/v1/history?limit=0")
            #expect(badLimit.status == 400 && badLimit.body.contains("bad_limit"), "\(badLimit)")
        }
    }
}
