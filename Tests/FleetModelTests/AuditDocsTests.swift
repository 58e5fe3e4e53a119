import FleetModel
import Foundation
import Testing

/// Every value `gitfleet audit` prints is documented in docs/cli.md, and nothing documented is gone: the state of a
/// service, the export's events and columns, and every key of `audit at --json`.
@Suite("Audit: every printed value is in docs/cli.md")
struct AuditDocsTests {
    static func cli() throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/cli.md")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The first column of the table whose header row starts with `| header |`, each value as written between
    /// backticks.
    static func column(_ header: String, in text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("| \(header) |") }) else { return [] }
        return lines[(start + 2)...].prefix { $0.hasPrefix("| `") }.map { String($0.dropFirst(3).prefix { $0 != "`" }) }
    }

    static func expectSame(_ header: String, _ code: [String]) throws {
        let documented = column(header, in: try cli())
        #expect(!documented.isEmpty, "docs/cli.md has no table '\(header)'")
        #expect(Set(documented) == Set(code), "'\(header)': documented \(documented), the code has \(code)")
        #expect(documented.count == Set(documented).count, "'\(header)' lists a value twice")
    }

    @Test("the states of a service, the events and the columns")
    func vocabulary() throws {
        try Self.expectSame("state", AuditServiceState.State.allCases.map(\.rawValue))
        try Self.expectSame("event", AuditEvent.Kind.allCases.map(\.rawValue))
        try Self.expectSame("column", AuditEvent.Column.allCases.map(\.rawValue))
    }

    @Test("every key of audit at --json")
    func jsonKeys() throws {
        let at = Date(timeIntervalSince1970: 1_795_773_600)
        let action = OperatorAction(
            action: "rollback", service: "web", by: "alice", at: at,
            outcome: "back to 0a0b (i) until a commit changes it")
        let timeline = AuditTimeline([
            DeploymentHistoryEntry(
                commit: "c1", author: "A <a@x>", date: at, summary: "s",
                annotation: StatusAnnotation(
                    result: .converged, fleet: "f", controller: "c", at: at, revision: "c1",
                    services: ["web": ServiceStatus(result: .converged, to: "i", created: 1)], actions: [action],
                    started: at, finished: at))
        ])
        let moment = timeline.moment(at: at, service: "web")
        let json = try #require(
            try JSONSerialization.jsonObject(with: try JSONEncoder().encode(moment)) as? [String: Any])
        let service = try #require((json["services"] as? [[String: Any]])?.first)
        let deployment = try #require(service["deployment"] as? [String: Any])
        let change = try #require((deployment["services"] as? [[String: Any]])?.first)
        let actionObject = try #require(service["action"] as? [String: Any])
        try Self.expectSame("moment field", Array(json.keys))
        try Self.expectSame("service field", Array(service.keys))
        try Self.expectSame("deployment field", Array(deployment.keys))
        try Self.expectSame("change field", Array(change.keys))
        try Self.expectSame("action field", Array(actionObject.keys))
    }
}
