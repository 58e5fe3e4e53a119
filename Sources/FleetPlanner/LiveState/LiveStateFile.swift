import FleetModel
import Foundation

/// A file that stands in for the live registry: a JSON list of ``InstanceRecord`` values, dates in
/// ISO-8601 (docs/live-state.md). `gitfleet plan --live FILE` reads it, and tests and tools write it.
///
/// Reading is strict and says exactly where a record is wrong, because a silently misread record
/// would turn into a plan that destroys or duplicates instances.
public enum LiveStateFile {
    /// Reads and checks the records in the file at `path`.
    public static func load(path: String) throws(LiveStateError) -> [InstanceRecord] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LiveStateError(
                code: .unreadable, file: path, message: "cannot read the file (\(error.localizedDescription))",
                underlying: error)
        }
        return try decode(data, file: path)
    }

    /// Reads and checks records from `data`; `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws(LiveStateError) -> [InstanceRecord] {
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
        let records: [InstanceRecord]
        do {
            records = try decoder.decode([InstanceRecord].self, from: data)
        } catch let error as DecodingError {
            throw LiveStateDecodingFailure(error: error, data: data).error(file: file)
        } catch {
            throw LiveStateError(code: .invalidRecord, file: file, message: "\(error)", underlying: error)
        }
        try check(records, file: file)
        return records
    }

    /// The records as the file format: pretty-printed, sorted keys, whole-second dates unless a date
    /// has a fraction of a second (then milliseconds), ending in a newline.
    public static func encode(_ records: [InstanceRecord]) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatDate(date))
        }
        // Strings, integers and dates only: encoding cannot fail.
        var data = try! encoder.encode(records)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    static let dateExample = "2026-11-22T13:02:11Z"

    static func parseDate(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    static func formatDate(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down) == seconds
        return Date.ISO8601FormatStyle(includingFractionalSeconds: !whole).format(date)
    }

    /// What JSON decoding cannot say: spec hashes are full hashes, ids are unique.
    private static func check(_ records: [InstanceRecord], file: String) throws(LiveStateError) {
        var firstIndexOfID: [String: Int] = [:]
        for (index, record) in records.enumerated() {
            let hex = record.specHash.rawValue.utf8
            guard hex.count == 64, hex.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw LiveStateError(
                    code: .invalidRecord, file: file, fieldPath: "[\(index)].specHash",
                    message: "'\(record.specHash.rawValue)' is not a spec hash (expected 64 lower-case hex digits)")
            }
            if let first = firstIndexOfID[record.id] {
                throw LiveStateError(
                    code: .invalidRecord, file: file, fieldPath: "[\(index)].id",
                    message: "duplicate id '\(record.id)' (first used at [\(first)])")
            }
            firstIndexOfID[record.id] = index
        }
    }
}
