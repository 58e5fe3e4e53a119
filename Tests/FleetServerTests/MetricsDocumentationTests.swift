import FleetController
import Foundation
import GitFleetTesting
import Testing

@Suite("docs/http-api.md and /metrics name the same families")
struct MetricsDocumentationTests {
    struct DocumentedFamily: Equatable {
        var type: String
        /// The backticked words of the labels column that name a label of the family.
        var labelsColumn: String
    }

    /// The rows of the table under `## Metrics`: name → type and labels column.
    static func documented() throws -> [String: DocumentedFamily] {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/http-api.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let section = try #require(
            text.components(separatedBy: "\n## Metrics\n").dropFirst().first?.components(separatedBy: "\n## ").first,
            "docs/http-api.md has no '## Metrics' section")
        var families: [String: DocumentedFamily] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            #expect(families[name] == nil, "\(name) is listed twice")
            families[name] = DocumentedFamily(type: cells[1], labelsColumn: cells[2])
        }
        return families
    }

    @Test("the table lists exactly the declared families, with their types and label names")
    func tableMatchesDeclarations() throws {
        let documented = try Self.documented()
        #expect(Set(documented.keys) == Set(MetricFamily.all.map(\.name)))
        for family in MetricFamily.all {
            guard let row = documented[family.name] else { continue }
            #expect(row.type == family.kind.exposition, "\(family.name)")
            if family.labelNames.isEmpty {
                #expect(row.labelsColumn == "—", "\(family.name) has no labels")
            }
            for label in family.labelNames {
                #expect(row.labelsColumn.contains("`\(label)`"), "\(family.name): label \(label) is not documented")
            }
        }
    }

    @Test("a real /metrics scrape parses line by line and shows every documented family and no other")
    func scrapeMatchesTable() async throws {
        let documented = try Self.documented()
        try await RunningServer.with { server in
            server.metrics.recordEveryFamily()
            let response = try await server.get("/metrics")
            #expect(response.status == .ok)
            let exposition = try PrometheusExposition(response.text)
            #expect(Set(exposition.types.keys) == Set(documented.keys))
            for (name, row) in documented {
                #expect(exposition.types[name] == row.type, "\(name)")
                #expect(exposition.help[name]?.isEmpty == false, "\(name) has no HELP")
            }
            // Every sample belongs to a family with a TYPE line.
            for sample in exposition.samples {
                #expect(exposition.family(of: sample.name) != nil, "\(sample.name) has no TYPE")
            }
        }
    }
}
