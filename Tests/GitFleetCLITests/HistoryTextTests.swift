import FleetModel
import Foundation
import Testing

@testable import GitFleetCLI

@Suite("gitfleet history: the text form")
struct HistoryTextTests {
    static func entry(_ result: DeploymentResult, services: [String: ServiceStatus] = [:]) -> DeploymentHistoryEntry {
        DeploymentHistoryEntry(
            commit: String(repeating: "ab", count: 20), author: "Dev <dev@example.com>",
            date: Date(timeIntervalSince1970: 1_800_000_000), summary: "v2",
            annotation: StatusAnnotation(
                result: result, fleet: "prod", controller: "c1", at: Date(timeIntervalSince1970: 1_800_000_000),
                revision: String(repeating: "ab", count: 20), services: services))
    }

    @Test("the result never runs into the subject, whatever its length", arguments: DeploymentResult.allCases)
    func resultAndSubjectApart(_ result: DeploymentResult) {
        let line = HistoryText.render(Self.entry(result), service: nil)
        #expect(line.contains("\(result.rawValue)  "), "\(line)")
        #expect(line.contains("  v2  (Dev <dev@example.com>)"), "\(line)")
        #expect(!line.contains("\(result.rawValue)v2"), "\(line)")
    }

    @Test("a removed service is listed with the image it ran")
    func removal() {
        let text = HistoryText.render(
            Self.entry(
                .converged, services: ["api": ServiceStatus(result: .removed, from: "demo/web@sha256:aa", destroyed: 2)]
            ),
            service: "api")
        #expect(text.contains("    api: removed, demo/web@sha256:aa, +0/-2"), "\(text)")
    }

    @Test("a service the commit left alone names its image once; a changed one, before → after")
    func unchangedImageOnce() {
        let text = HistoryText.render(
            Self.entry(
                .converged,
                services: [
                    "api": ServiceStatus(result: .converged, from: "demo/api:1@sha256:aa", to: "demo/api:1@sha256:aa"),
                    "web": ServiceStatus(
                        result: .converged, from: "demo/web:1@sha256:aa", to: "demo/web:2@sha256:bb", created: 3,
                        destroyed: 3),
                ]),
            service: nil)
        #expect(text.contains("    api: converged, demo/api:1@sha256:aa, +0/-0"), "\(text)")
        #expect(text.contains("    web: converged, demo/web:1@sha256:aa → demo/web:2@sha256:bb, +3/-3"), "\(text)")
    }
}

extension HistoryTextTests {
    @Test("operators' actions follow their commit, one line each; with a service only its own and the fleet's")
    func actions() {
        var entry = Self.entry(.converged, services: ["web": ServiceStatus(result: .converged)])
        let at = Date(timeIntervalSince1970: 1_800_000_060)
        entry.annotation?.actions = [
            OperatorAction(action: "suspend", service: "web", by: "alice", at: at, reason: "incident 42\nmore"),
            OperatorAction(action: "resume", service: nil, by: "cli:bob", at: at),
            OperatorAction(action: "rollback", service: "api", by: "alice", at: at),
        ]
        let text = HistoryText.render(entry, service: nil)
        #expect(text.contains("\n    suspend web by alice at 2027-01-15 08:01: incident 42\n"), "\(text)")
        #expect(text.contains("\n    resume by cli:bob at 2027-01-15 08:01"), "\(text)")
        #expect(text.contains("rollback api"), "\(text)")
        let web = HistoryText.render(entry, service: "web")
        #expect(web.contains("suspend web") && !web.contains("rollback api"), "\(web)")
    }
}
