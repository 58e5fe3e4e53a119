import FleetModel
import Foundation
import Testing

@Suite("Deployment history")
struct DeploymentHistoryTests {
    static func entry(_ commit: String, minute: Int, services: [String], at: Int? = nil) -> DeploymentHistoryEntry {
        let date = Date(timeIntervalSince1970: TimeInterval(1_700_000_000 + minute * 60))
        let annotation =
            services.isEmpty && at == nil
            ? nil
            : StatusAnnotation(
                result: .converged, fleet: "production", controller: "gitfleet-1",
                at: Date(timeIntervalSince1970: TimeInterval(1_700_000_000 + (at ?? minute) * 60)),
                revision: commit,
                services: Dictionary(uniqueKeysWithValues: services.map { ($0, ServiceStatus(result: .converged)) }))
        return DeploymentHistoryEntry(
            commit: commit, author: "Fleet Tester", date: date, summary: "change \(commit)", annotation: annotation)
    }

    static let entries = [
        entry("aaa", minute: 1, services: ["web", "db"]),
        entry("ccc", minute: 3, services: ["db"]),
        entry("bbb", minute: 2, services: []),
        entry("eee", minute: 3, services: ["web"], at: 9),
        entry("ddd", minute: 4, services: ["web"]),
    ]

    @Test("newest first, ties broken by when the controller annotated, then by commit id")
    func newestFirst() {
        #expect(DeploymentHistoryEntry.newestFirst(Self.entries).map(\.commit) == ["ddd", "eee", "ccc", "bbb", "aaa"])
        #expect(
            DeploymentHistoryEntry.newestFirst(Self.entries.reversed()).map(\.commit)
                == ["ddd", "eee", "ccc", "bbb", "aaa"])
    }

    @Test(
        "filtering by service keeps only commits whose annotation reports on it",
        arguments: [("web", ["ddd", "eee", "aaa"]), ("db", ["ccc", "aaa"]), ("cache", [])])
    func byService(service: String, expected: [String]) {
        #expect(DeploymentHistoryEntry.newestFirst(Self.entries, service: service).map(\.commit) == expected)
    }
}
