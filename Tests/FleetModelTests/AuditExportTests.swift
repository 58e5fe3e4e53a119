import FleetModel
import Foundation
import Testing

/// `gitfleet audit export`'s two forms: RFC 4180 CSV a spreadsheet opens as one row per event and never runs as a
/// formula, and JSON with the same fields.
@Suite("Audit: export formats")
struct AuditExportTests {
    /// An RFC 4180 reader: records end in CRLF, quoted fields may hold commas, quotes (doubled) and line breaks.
    static func parse(_ text: String) -> [[String]]? {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(text.unicodeScalars)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" {
                        field.unicodeScalars.append(characters.removeFirst())
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(character)
                }
            } else if character == "\"" {
                guard field.isEmpty else { return nil }
                quoted = true
            } else if character == "," {
                record.append(field)
                field = ""
            } else if character == "\r" {
                guard characters.popFirst() == "\n" else { return nil }
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else if character == "\n" {
                return nil
            } else {
                field.unicodeScalars.append(character)
            }
        }
        return quoted || !field.isEmpty || !record.isEmpty ? nil : records
    }

    static func event(reason: String?, author: String = "Dev <dev@example.com>") -> AuditEvent {
        var event = AuditEvent(
            time: Date(timeIntervalSince1970: 1_795_773_600), kind: .deployment,
            commit: String(repeating: "ab", count: 20),
            fleet: "audited")
        event.result = .converged
        event.service = "web"
        event.serviceResult = .converged
        event.to = "demo/web:1.0.0@sha256:aa"
        event.author = author
        event.reason = reason
        return event
    }

    @Test("a header of every column, then one record per event, every line ending in CRLF")
    func shape() throws {
        let text = AuditExport.csv([Self.event(reason: nil), Self.event(reason: "x")])
        let records = try #require(Self.parse(text))
        #expect(records.count == 3)
        #expect(records[0] == AuditEvent.Column.allCases.map(\.rawValue))
        #expect(records.allSatisfy { $0.count == AuditEvent.Column.allCases.count })
        #expect(records[1][0] == "2026-11-27T10:00:00Z" && records[1][1] == "deployment")
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(AuditExport.csv([]) == AuditEvent.Column.allCases.map(\.rawValue).joined(separator: ",") + "\r\n")
    }

    @Test(
        "commas, quotes and line breaks survive quoting exactly",
        arguments: ["a, b", "say \"no\"", "line one\nline two", "cr\r\nlf", "\"", "", "plain"])
    func quoting(reason: String) throws {
        let records = try #require(Self.parse(AuditExport.csv([Self.event(reason: reason)])))
        #expect(records.count == 2)
        #expect(records[1].last == reason)
    }

    @Test(
        "a field a spreadsheet would run as a formula gets a leading apostrophe",
        arguments: ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
    func formula(text: String) throws {
        let records = try #require(Self.parse(AuditExport.csv([Self.event(reason: text, author: text)])))
        #expect(records[1].last == "'" + text)
        #expect(records[1][AuditEvent.Column.allCases.firstIndex(of: .author)!] == "'" + text)
        #expect(AuditExport.field("a=b") == "a=b")
    }

    @Test("JSON: one object per event with every column as a key, null where empty, the same values as the CSV")
    func json() throws {
        let events = [Self.event(reason: "a, b"), Self.event(reason: nil)]
        let data = try AuditExport.json(events)
        let objects = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(objects.count == 2)
        for object in objects {
            #expect(Set(object.keys) == Set(AuditEvent.Column.allCases.map(\.rawValue)))
        }
        #expect(objects[0]["time"] as? String == "2026-11-27T10:00:00Z")
        #expect(objects[0]["reason"] as? String == "a, b")
        #expect(objects[1]["reason"] is NSNull)
        #expect(objects[0]["to"] as? String == "demo/web:1.0.0@sha256:aa", "slashes unescaped")
        #expect(String(decoding: data, as: UTF8.self).contains("\"to\" : \"demo/web:1.0.0@sha256:aa\""))
        #expect((try JSONSerialization.jsonObject(with: try AuditExport.json([])) as? [Any])?.isEmpty == true)
    }
}
