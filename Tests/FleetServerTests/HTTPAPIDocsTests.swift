import FleetController
import FleetGit
import FleetModel
import FleetServer
import Foundation
import Testing

/// docs/http-api.md against the code: every error code the server answers with is in the list of codes, and the
/// commit document's field table names exactly the fields a full document has.
@Suite struct HTTPAPIDocsTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/FleetServer")

    /// The text from the heading `heading` to the next heading of its level or above.
    static func section(_ heading: String, in text: String) -> String {
        guard let start = text.range(of: "\n\(heading)\n") else { return "" }
        let rest = text[start.upperBound...]
        let end = rest.range(of: "\n### ")?.lowerBound ?? rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    /// Every error code Sources/FleetServer answers with: `code: "…"` in `Response.error`, `error = "…"` in a
    /// document that carries more than the error body.
    static func errorCodesUsed() throws -> Set<String> {
        var used: Set<String> = []
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        let pattern = try Regex(#"(?:code: |error = )"([a-z_]+)""#)
        for file in files {
            let source = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for match in source.matches(of: pattern) {
                used.insert(String(try #require(match.output[1].substring)))
            }
        }
        return used
    }

    @Test("every error code in Sources/FleetServer is listed with the error body, and every listed code is used")
    func errorCodes() throws {
        let text = try PhaseVocabularyDocsTests.docs("http-api.md")
        let listed = try #require(text.range(of: "Codes:\n")).upperBound
        let paragraph = String(text[listed...]).components(separatedBy: "\n\n").first ?? ""
        let documented = Set(
            paragraph.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
                .map { String($0.element) }
                .filter { $0.allSatisfy { $0.isLowercase || $0 == "_" } })
        let used = try Self.errorCodesUsed()
        #expect(used.contains("bad_revision") && used.contains("service_not_found"), "the scan found \(used)")
        #expect(used.subtracting(documented).isEmpty, "undocumented: \(used.subtracting(documented).sorted())")
        #expect(
            documented.subtracting(used).isEmpty, "documented, never sent: \(documented.subtracting(used).sorted())")
    }

    @Test("the field table of GET /api/v1/commits/{rev} names every field of a full document")
    func commitFields() throws {
        let text = try PhaseVocabularyDocsTests.docs("http-api.md")
        let section = Self.section("### `GET /api/v1/commits/{rev}`", in: text)
        let documented = PhaseVocabularyDocsTests.column("field", in: section)
        let commit = try #require(CommitID(hex: String(repeating: "a", count: 40)))
        let annotation = StatusAnnotation(
            result: .rejected, fleet: "f", controller: "c", at: Date(), revision: commit.hex, reason: "r",
            errors: ["services/web.yaml:1:1: x"], services: ["web": ServiceStatus(result: .rejected)],
            actions: [OperatorAction(action: "suspend", service: "web", by: "alice", at: Date())])
        let document = CommitDocument(
            CommitOutcome(commit: commit.hex, state: .rejected, handledAs: commit, annotation: annotation),
            trackedBranch: "main")
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let object = try #require(
            try JSONSerialization.jsonObject(with: try encoder.encode(document)) as? [String: Any])
        PhaseVocabularyDocsTests.expectSame(documented, Array(object.keys), "field", in: "http-api.md (commits)")
    }
}
