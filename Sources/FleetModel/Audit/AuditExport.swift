import Foundation

/// The two forms of `gitfleet audit export`: CSV for spreadsheets and JSON for tools, with the same rows, columns and
/// values.
public enum AuditExport {
    public enum Format: String, CaseIterable, Sendable {
        case csv, json
    }

    /// RFC 4180: a header row of ``AuditEvent/Column`` names, then one record per event; every line ends in CRLF.
    ///
    /// A field holding a comma, a double quote, a CR or an LF is quoted, its quotes doubled. A field that a
    /// spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a CR) gets a leading
    /// apostrophe, so that opening the file never runs what a commit author or an operator wrote (OWASP's advice
    /// against CSV injection).
    public static func csv(_ events: [AuditEvent]) -> String {
        var text = record(AuditEvent.Column.allCases.map(\.rawValue))
        for event in events {
            text += record(AuditEvent.Column.allCases.map { event.value($0) ?? "" })
        }
        return text
    }

    /// One CSV record, CRLF included.
    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// One CSV field: neutralised against formula injection, then quoted when it must be.
    public static func field(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, formulaStarts.contains(first) { text = "'" + text }
        guard text.unicodeScalars.contains(where: { mustQuote.contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The characters a spreadsheet reads a formula from when they start a cell.
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]
    static let mustQuote: Set<Unicode.Scalar> = [",", "\"", "\r", "\n"]

    /// An array of objects, one per event, each with every column as a key (`null` where the row has no value),
    /// keys sorted and pretty-printed, so the same record always prints the same bytes.
    public static func json(_ events: [AuditEvent]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(events.map(Row.init)) + Data("\n".utf8)
    }

    /// An event as a JSON object.
    struct Row: Encodable {
        var event: AuditEvent

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for column in AuditEvent.Column.allCases {
                try container.encode(event.value(column), forKey: Key(stringValue: column.rawValue))
            }
        }
    }
}
