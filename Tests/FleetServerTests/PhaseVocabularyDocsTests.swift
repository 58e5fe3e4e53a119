import FleetController
import FleetModel
import Foundation
import Testing

/// Every value the API, the CLI and the notes can print is documented, and nothing documented is gone: the
/// tables of docs/http-api.md ("Phases") and docs/auditing.md must list exactly the cases of the vocabulary types.
@Suite("Phase vocabulary is pinned to the docs")
struct PhaseVocabularyDocsTests {
    static func docs(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The first column of the table whose header row starts with `| header |`: each value as written between
    /// backticks, in order.
    static func column(_ header: String, in text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("| \(header) |") }) else { return [] }
        var values: [String] = []
        for line in lines[(start + 2)...] {
            guard line.hasPrefix("| `") else { break }
            let cell = line.dropFirst(3).prefix { $0 != "`" }
            values.append(String(cell))
        }
        return values
    }

    static func expectSame(_ documented: [String], _ code: [String], _ table: String, in file: String) {
        #expect(!documented.isEmpty, "\(file) has no table '\(table)'")
        let missing = Set(code).subtracting(documented).sorted()
        let gone = Set(documented).subtracting(code).sorted()
        #expect(missing.isEmpty, "\(file) ('\(table)') does not document \(missing)")
        #expect(gone.isEmpty, "\(file) ('\(table)') documents values the code no longer has: \(gone)")
        #expect(documented.count == Set(documented).count, "\(file) ('\(table)') lists a value twice")
    }

    @Test("docs/http-api.md lists every fleet phase, service phase, deployment result, instance and commit state")
    func httpAPI() throws {
        let text = try Self.docs("http-api.md")
        Self.expectSame(
            Self.column("fleet phase", in: text), FleetPhase.allCases.map(\.rawValue), "fleet phase",
            in: "http-api.md")
        Self.expectSame(
            Self.column("service phase", in: text), ServicePhase.allCases.map(\.rawValue), "service phase",
            in: "http-api.md")
        Self.expectSame(
            Self.column("deployment result", in: text), DeploymentResult.allCases.map(\.rawValue),
            "deployment result", in: "http-api.md")
        Self.expectSame(
            Self.column("instance state", in: text), InstanceState.allCases.map(\.rawValue), "instance state",
            in: "http-api.md")
        Self.expectSame(
            Self.column("commit state", in: text), CommitOutcome.State.allCases.map(\.rawValue), "commit state",
            in: "http-api.md")
    }

    @Test("docs/auditing.md lists every result a status annotation can carry")
    func auditing() throws {
        let text = try Self.docs("auditing.md")
        Self.expectSame(
            Self.column("result", in: text), DeploymentResult.allCases.map(\.rawValue), "result", in: "auditing.md")
    }

    @Test("the table reader fails on a table that disagrees with the code")
    func readerCatchesDisagreement() {
        let text = "| fleet phase | meaning |\n|---|---|\n| `converged` | x |\n| `settled` | y |\n\nafter"
        let documented = Self.column("fleet phase", in: text)
        #expect(documented == ["converged", "settled"])
        #expect(!Set(documented).isSubset(of: FleetPhase.allCases.map(\.rawValue)))
    }
}
