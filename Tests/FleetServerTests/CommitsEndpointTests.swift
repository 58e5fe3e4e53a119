import FleetController
import FleetGit
import FleetModel
import FleetServer
import Foundation
import Testing

/// The server's side of `/api/v1/commits/{rev}` and `/api/v1/history`: status codes, error codes and field names.
/// Tests against a real `gitfleet serve` (WaitCommandTests, HistoryServerTests) check the answers themselves.
@Suite struct CommitsEndpointTests {
    static let at = Date(timeIntervalSince1970: 1_790_000_000)

    static func entry(_ commit: Character, minutes: Double, services: [String]) -> DeploymentHistoryEntry {
        let id = String(repeating: commit, count: 40)
        return DeploymentHistoryEntry(
            commit: id, author: "Dev <dev@example.com>", date: at.addingTimeInterval(minutes * 60),
            summary: "change \(commit)",
            annotation: StatusAnnotation(
                result: .converged, fleet: "production", controller: "c1", at: at.addingTimeInterval(minutes * 60),
                revision: id,
                services: Dictionary(
                    uniqueKeysWithValues: services.map { ($0, ServiceStatus(result: .converged, took: .seconds(4))) })))
    }

    @Test("without a repository both answer 404 with their codes")
    func unavailable() async throws {
        try await RunningServer.with { server in
            let commit = try await server.get("/api/v1/commits/\(String(repeating: "a", count: 40))")
            #expect(commit.status == .notFound)
            #expect(try commit.decode(ErrorDocument.self).error == "commits_unavailable")
            let history = try await server.get("/api/v1/history")
            #expect(history.status == .notFound)
            #expect(try history.decode(ErrorDocument.self).error == "history_unavailable")
        }
    }

    @Test("a commit answers its outcome; a bad revision 400; a repository that cannot be read 503")
    func commits() async throws {
        let endpoint = RecordingEndpoint()
        let decided = try #require(CommitID(hex: String(repeating: "d", count: 40)))
        let annotation = StatusAnnotation(
            result: .rolledBack, fleet: "production", controller: "c1", at: Self.at, revision: decided.hex,
            reason: "web failed", services: ["web": ServiceStatus(result: .rolledBack, created: 1, reason: "probe")])
        let asked = String(repeating: "a", count: 40)
        await endpoint.setCommits(
            [
                asked: CommitDocument(
                    CommitOutcome(commit: asked, state: .rolledBack, handledAs: decided, annotation: annotation),
                    trackedBranch: "main")
            ], history: [])
        try await RunningServer.with(endpoint: endpoint) { server in
            let answer = try await server.get("/api/v1/commits/\(asked)")
            #expect(answer.status == .ok)
            let object = try answer.jsonObject()
            #expect(Set(object.keys) == ["commit", "state", "trackedBranch", "handledAs", "at", "reason", "services"])
            #expect(object["state"] as? String == "rolled-back")
            #expect(object["handledAs"] as? String == decided.hex)
            #expect(object["at"] as? String == "2026-09-21T14:13:20Z")
            let web = try #require((object["services"] as? [String: Any])?["web"] as? [String: Any])
            #expect(web["result"] as? String == "rolled-back" && web["reason"] as? String == "probe")

            let unknown = try await server.get("/api/v1/commits/\(String(repeating: "b", count: 40))")
            #expect(unknown.status == .ok)
            #expect(try unknown.jsonObject().keys.sorted() == ["commit", "state", "trackedBranch"])

            let bad = try await server.get("/api/v1/commits/bad")
            #expect(bad.status == .badRequest)
            #expect(try bad.decode(ErrorDocument.self).error == "bad_revision")
        }
        await endpoint.setCommits([:], history: [], failure: "disk on fire")
        try await RunningServer.with(endpoint: endpoint) { server in
            let broken = try await server.get("/api/v1/commits/\(asked)")
            #expect(broken.status == .serviceUnavailable)
            #expect(try broken.decode(ErrorDocument.self).error == "repository_unavailable")
            #expect(try await server.get("/api/v1/history").status == .serviceUnavailable)
        }
    }

    @Test("history answers history --json's document, filtered by service and cut by limit")
    func history() async throws {
        let endpoint = RecordingEndpoint()
        let entries = [
            Self.entry("1", minutes: 0, services: ["web"]), Self.entry("2", minutes: 1, services: ["api"]),
            Self.entry("3", minutes: 2, services: ["web", "api"]),
        ]
        await endpoint.setCommits([:], history: entries)
        try await RunningServer.with(endpoint: endpoint) { server in
            let all = try await server.get("/api/v1/history")
            #expect(all.status == .ok)
            #expect(
                all.text.utf8.elementsEqual(
                    try HistoryJSON.encode(DeploymentHistoryEntry.newestFirst(entries), service: nil)))
            let web = try HistoryJSON.decode(
                Data(try await server.get("/api/v1/history?service=web&limit=1").text.utf8))
            #expect(web.map(\.commit) == [String(repeating: "3", count: 40)])
            #expect(web.first?.services.keys.sorted() == ["web"])
            #expect(web.first?.services["web"]?.tookSeconds == 4)
            for bad in ["0", "-1", "x"] {
                let answer = try await server.get("/api/v1/history?limit=\(bad)")
                #expect(answer.status == .badRequest)
                #expect(try answer.decode(ErrorDocument.self).error == "bad_limit")
            }
        }
    }
}
