import FleetModel
import Foundation
import Testing

@testable import FleetPlanner

@Suite("The live-state file stands in for the registry")
struct LiveStateFileTests {
    static let hash = String(repeating: "ab", count: 32)

    /// A valid record as JSON, with fields replaced (or removed, with `nil`).
    static func record(_ id: String, _ changes: [String: Any?] = [:]) -> [String: Any] {
        var fields: [String: Any] = [
            "id": id, "service": "web", "specHash": hash, "image": "demo/web:1.0.0", "state": "serving",
            "ports": ["http": 8080], "createdAt": "2026-11-22T13:02:11Z", "updatedAt": "2026-11-22T13:02:11Z",
        ]
        for (key, value) in changes { fields[key] = value }
        return fields
    }

    static func json(_ value: Any) -> Data {
        try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
    }

    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gitfleet-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func writesAndReadsBackTheSameRecords() throws {
        let web = Fixture.spec("web", replicas: 2)
        var records = Fixture.instances(2, of: web) + Fixture.instances(1, of: web, state: .failed, prefix: "f")
        records[2].reason = "health check failed 3 times"
        records[2].address = nil
        // Fractions of a second survive (to the millisecond).
        records[1].updatedAt = Fixture.epoch.addingTimeInterval(2.25)

        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("live.json")
        try LiveStateFile.encode(records).write(to: file)

        let loaded = try LiveStateFile.load(path: file.path)
        #expect(loaded == records)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains(#""createdAt" : "2026-11-18T11:06:40Z""#))
        #expect(text.contains(#""updatedAt" : "2026-11-18T11:06:42.250Z""#))
    }

    @Test func acceptsDatesWithOffsetsAndFractions() throws {
        let data = Self.json([
            Self.record("a", ["createdAt": "2026-11-22T14:02:11+01:00", "updatedAt": "2026-11-22T13:02:11.500Z"])
        ])
        let record = try #require(try LiveStateFile.decode(data, file: "live.json").first)
        #expect(record.createdAt == Date(timeIntervalSince1970: 1_795_352_531))
        #expect(record.updatedAt == Date(timeIntervalSince1970: 1_795_352_531.5))
    }

    @Test(
        "errors name the file, the record and the field",
        arguments: [
            (
                json([record("a"), record("b"), record("c", ["state": "runing"])]),
                "live.json: [2].state: unknown state 'runing' (expected one of pending, starting, ready, serving, "
                    + "draining, stopped, failed, quarantined)"
            ),
            (json([record("a", ["specHash": nil])]), "live.json: [0].specHash: missing"),
            (
                json([record("a"), record("b", ["ports": ["http": "80"]])]),
                "live.json: [1].ports.http: expected a whole number, found the string '80'"
            ),
            (json([record("a", ["ports": [8080]])]), "live.json: [0].ports: expected an object, found a list"),
            (json([record("a", ["service": NSNull()])]), "live.json: [0].service: expected a string, found null"),
            (
                json([record("a", ["createdAt": "yesterday"])]),
                "live.json: [0].createdAt: 'yesterday' is not an ISO-8601 date (expected one such as 2026-11-22T13:02:11Z)"
            ),
            (json(["a": record("a")]), "live.json: expected a list of instance records, found an object"),
            (
                json([record("a", ["specHash": "abc123"])]),
                "live.json: [0].specHash: 'abc123' is not a spec hash (expected 64 lower-case hex digits)"
            ),
            (json([record("a"), record("a")]), "live.json: [1].id: duplicate id 'a' (first used at [0])"),
        ])
    func errorsSayWhere(document: Data, expected: String) throws {
        let error = try #require(throws: LiveStateError.self) {
            try LiveStateFile.decode(document, file: "live.json")
        }
        #expect(error.description == expected)
        #expect(error.code == .invalidRecord)
        #expect(error.file == "live.json")
    }

    @Test func malformedJSONIsReportedAsSuch() throws {
        let error = try #require(throws: LiveStateError.self) {
            try LiveStateFile.decode(Data("[{\"id\": \"a\",,}]".utf8), file: "live.json")
        }
        #expect(error.code == .malformedJSON)
        #expect(error.fieldPath == "")
        #expect(error.description.hasPrefix("live.json: not valid JSON ("))
    }

    @Test func aMissingFileIsUnreadable() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("absent.json").path
        let error = try #require(throws: LiveStateError.self) { try LiveStateFile.load(path: path) }
        #expect(error.code == .unreadable)
        #expect(error.description.hasPrefix("\(path): cannot read the file"))
        #expect(error.underlying != nil)
    }

    @Test func aDocumentRoundTripsAndSaysWhereItIsWrong() throws {
        let record = InstanceRecord(
            id: "web-1", service: "web", specHash: SpecHash(rawValue: String(repeating: "a", count: 64)),
            image: "demo/web:1.0@sha256:" + String(repeating: "b", count: 64), state: .serving,
            createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        let document = LiveStateDocument(
            revision: "abc", instances: [record],
            rollouts: [
                LiveRollout(
                    service: "web", phase: "rolledBack", targetSpecHash: record.specHash,
                    failedSpecHashes: [record.specHash])
            ],
            pinnedImages: LiveStateDocument.pinnedImages(instances: [record], specs: []))
        let data = LiveStateFile.encode(document)
        #expect(try LiveStateFile.decodeDocument(data, file: "live.json") == document)
        #expect(document.pinnedImages == ["demo/web:1.0": "sha256:" + String(repeating: "b", count: 64)])
        #expect(document.policy.failedSpecHashes == ["web": [record.specHash]])

        let text = String(decoding: data, as: UTF8.self)
        let wrongState = Data(text.replacingOccurrences(of: "\"serving\"", with: "\"runing\"").utf8)
        let error = try #require(throws: LiveStateError.self) {
            try LiveStateFile.decodeDocument(wrongState, file: "live.json")
        }
        #expect(error.fieldPath == "instances[0].state")
        let future = Data(text.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 2").utf8)
        let versionError = try #require(throws: LiveStateError.self) {
            try LiveStateFile.decodeDocument(future, file: "live.json")
        }
        #expect(versionError.description == "live.json: version: unknown version 2 (expected 1)")
        let notADocument = try #require(throws: LiveStateError.self) {
            try LiveStateFile.decodeDocument(Data("\"x\"".utf8), file: "live.json")
        }
        #expect(notADocument.message.hasPrefix("expected a live-state document"))
    }

    @Test(
        "dates print to the nearest millisecond, the same for every process that holds the same instant",
        arguments: [
            (1_764_131_196_157 as Int64, 0.0, "2025-11-26T04:26:36.157Z"),
            (1_764_131_196_157, 0.0004, "2025-11-26T04:26:36.157Z"),
            (1_764_131_196_000, 0.0, "2025-11-26T04:26:36Z"),
            (1_764_131_196_999, 0.0006, "2025-11-26T04:26:37Z"),
            (1_764_131_196_007, 0.0, "2025-11-26T04:26:36.007Z"),
            (-1_500, 0.0, "1969-12-31T23:59:58.500Z"),
        ])
    func datesRoundToMilliseconds(milliseconds: Int64, extra: Double, text: String) {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000 + extra)
        #expect(LiveStateFile.formatDate(date) == text)
        #expect(LiveStateFile.parseDate(text).map { LiveStateFile.formatDate($0) } == text)
    }

    @Test func theDocumentedExampleLoadsAndPlans() throws {
        let document = try Repository.text("docs/live-state.md")
        let example = try #require(Repository.fencedBlock("json", after: "## Example", in: document))
        let live = try LiveStateFile.decodeDocument(Data(example.utf8), file: "docs/live-state.md")
        #expect(live.version == 1)
        #expect(live.rollouts.map(\.service) == ["web"])
        #expect(live.runtimeScope == "fleet-5c2a9e01b3d4")
        // The document's pinned digests are the live instances' images, so pinning a tag gives them back.
        #expect(live.pinnedImages.keys.sorted() == ["demo/api:0.9.0", "demo/web:1.1.0"])
        #expect(String(decoding: LiveStateFile.encode(live), as: UTF8.self) == example)
        let records = live.instances
        #expect(records.map(\.id) == ["web-7f3a", "web-9c21", "web-0b44", "old-api-1"])
        #expect(records.map(\.state) == [.serving, .serving, .quarantined, .serving])
        #expect(records[2].reason == "health check failed 3 times")

        let plan = Planner.plan(desired: Fixture.fleet([]), observed: records)
        #expect(plan.actions.map(\.service) == ["old-api", "web"])
        #expect(plan.actions.map(\.destroy) == [1, 2])
    }
}
