import FleetModel
import Foundation

/// A file that stands in for the live registry: a ``LiveStateDocument`` (or, as before version 1, a bare
/// JSON list of ``InstanceRecord`` values), dates in ISO-8601 (docs/live-state.md). `gitfleet status --json`
/// writes it, `gitfleet plan --live FILE` reads it.
///
/// Reading is strict and says exactly where a record is wrong, because a silently misread record
/// would turn into a plan that destroys or duplicates instances.
public enum LiveStateFile {
    /// Reads and checks the records in the file at `path`.
    public static func load(path: String) throws(LiveStateError) -> [InstanceRecord] {
        try decode(try read(path), file: path)
    }

    /// Reads and checks the live-state document in the file at `path`; a bare list of records is read as
    /// a document with only those records.
    public static func loadDocument(path: String) throws(LiveStateError) -> LiveStateDocument {
        try decodeDocument(try read(path), file: path)
    }

    /// Reads and checks records from `data`; `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws(LiveStateError) -> [InstanceRecord] {
        let records = try decode([InstanceRecord].self, from: data, file: file, expected: "a list of instance records")
        try check(records, file: file, at: "")
        return records
    }

    /// Reads and checks a live-state document from `data`; `file` names the source in errors.
    public static func decodeDocument(_ data: Data, file: String) throws(LiveStateError) -> LiveStateDocument {
        if data.first(where: { !Set(" \t\r\n".utf8).contains($0) }) == UInt8(ascii: "[") {
            return LiveStateDocument(instances: try decode(data, file: file))
        }
        let expected = "a live-state document (an object with \"version\": \(LiveStateDocument.currentVersion))"
        struct Versioned: Decodable { var version: Int }
        let version = try decode(Versioned.self, from: data, file: file, expected: expected).version
        guard version == LiveStateDocument.currentVersion else {
            throw LiveStateError(
                code: .invalidRecord, file: file, fieldPath: "version",
                message: "unknown version \(version) (expected \(LiveStateDocument.currentVersion))")
        }
        let document = try decode(LiveStateDocument.self, from: data, file: file, expected: expected)
        try check(document.instances, file: file, at: "instances")
        return document
    }

    /// The document as the file format, in the same form as a list of records.
    public static func encode(_ document: LiveStateDocument) -> Data {
        encoded(document)
    }

    private static func read(_ path: String) throws(LiveStateError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LiveStateError(
                code: .unreadable, file: path, message: "cannot read the file (\(error.localizedDescription))",
                underlying: error)
        }
    }

    private static func decode<Value: Decodable>(
        _ type: Value.Type, from data: Data, file: String, expected: String
    ) throws(LiveStateError) -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseDate(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "'\(text)' is not an ISO-8601 date (expected one such as \(dateExample))"
                )
            }
            return date
        }
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw LiveStateDecodingFailure(error: error, data: data, expectedDocument: expected).error(file: file)
        } catch {
            throw LiveStateError(code: .invalidRecord, file: file, message: "\(error)", underlying: error)
        }
    }

    /// The records as the file format: pretty-printed, sorted keys, whole-second dates unless a date
    /// has a fraction of a second (then milliseconds), ending in a newline.
    public static func encode(_ records: [InstanceRecord]) -> Data {
        encoded(records)
    }

    private static func encoded(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatDate(date))
        }
        // Strings, numbers, dates and value types of the model only: encoding cannot fail.
        var data = try! encoder.encode(value)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    static let dateExample = "2026-11-22T13:02:11Z"

    static func parseDate(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    /// The milliseconds are rounded here rather than left to the formatter, which truncates: a registry date
    /// (whole milliseconds, kept as a binary fraction such as .15699…) would otherwise print as .156 in one
    /// process and .157 in another that holds the same instant with more precision.
    static func formatDate(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (wholeSeconds, millisecond) = fraction < 0 ? (seconds - 1, fraction + 1000) : (seconds, fraction)
        let text = Date.ISO8601FormatStyle().format(Date(timeIntervalSince1970: Double(wholeSeconds)))
        guard millisecond != 0 else { return text }
        let digits = String(millisecond)
        return "\(text.dropLast())." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// What JSON decoding cannot say: spec hashes are full hashes, ids are unique.
    private static func check(_ records: [InstanceRecord], file: String, at list: String) throws(LiveStateError) {
        var firstIndexOfID: [String: Int] = [:]
        for (index, record) in records.enumerated() {
            let hex = record.specHash.rawValue.utf8
            guard hex.count == 64, hex.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw LiveStateError(
                    code: .invalidRecord, file: file, fieldPath: "\(list)[\(index)].specHash",
                    message: "'\(record.specHash.rawValue)' is not a spec hash (expected 64 lower-case hex digits)")
            }
            if let first = firstIndexOfID[record.id] {
                throw LiveStateError(
                    code: .invalidRecord, file: file, fieldPath: "\(list)[\(index)].id",
                    message: "duplicate id '\(record.id)' (first used at \(list)[\(first)])")
            }
            firstIndexOfID[record.id] = index
        }
    }
}
