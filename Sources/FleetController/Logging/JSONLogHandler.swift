import Foundation
import Logging

/// A `LogHandler` that writes one JSON object per line: what log collectors (Loki, Fluent Bit, Vector,
/// Elastic) parse without a custom pattern.
///
/// Each line holds `timestamp` (RFC 3339, UTC, microseconds), `level`, `label` (the logger's), `message`,
/// then the metadata as fields of the same object, sorted by key: nested metadata becomes objects and arrays,
/// every other value a string. Metadata comes from the handler, its metadata provider and the log call, the
/// later winning. A metadata key that would shadow one of the four fixed fields (or `error`) is written as
/// `metadata.<key>` instead, so a line always says what it is.
///
/// swift-log ships only a text handler; this one is small enough to keep here rather than take a dependency
/// (see docs/architecture.md, "Hand-written, and why").
///
/// A value (as swift-log requires): changing the level or metadata of one copy leaves the others alone.
/// Lines are written whole, with one write each, so lines from concurrent tasks do not interleave.
public struct JSONLogHandler: LogHandler {
    /// Where the lines go.
    public let output: any LogOutput
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(
        label: String, level: Logger.Level = .info, output: any LogOutput = StandardErrorOutput(),
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.logLevel = level
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        output.write(line(for: event, at: Date()))
    }

    /// The fields the handler writes itself; metadata under these names is moved to `metadata.<name>`.
    static let fixedFields: Set<String> = ["timestamp", "level", "label", "message", "error"]

    /// The JSON line (with its newline) for `event`, stamped with `time`.
    func line(for event: LogEvent, at time: Date) -> String {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        var json = "{\"timestamp\":"
        JSONText.appendString(Self.timestamp(time), to: &json)
        json += ",\"level\":"
        JSONText.appendString(event.level.rawValue, to: &json)
        json += ",\"label\":"
        JSONText.appendString(label, to: &json)
        json += ",\"message\":"
        JSONText.appendString(event.message.description, to: &json)
        if let error = event.error {
            json += ",\"error\":"
            JSONText.appendString("\(error)", to: &json)
        }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            json += ","
            JSONText.appendString(Self.fixedFields.contains(key) ? "metadata.\(key)" : key, to: &json)
            json += ":"
            JSONText.append(value, to: &json)
        }
        json += "}\n"
        return json
    }

    /// RFC 3339 in UTC with microseconds: `2026-11-26T01:02:03.456789Z`.
    public static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        let micros = min(999_999, Int(((interval - Double(seconds)) * 1_000_000).rounded()))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let fraction = String(micros)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
            + ".\(String(repeating: "0", count: 6 - fraction.count))\(fraction)Z"
    }
}

/// JSON text written by hand: the handler needs strings, objects and arrays only, in a fixed field order
/// (fixed fields first), which `JSONEncoder` does not promise.
enum JSONText {
    static func append(_ value: Logger.Metadata.Value, to json: inout String) {
        switch value {
        case .string(let text):
            appendString(text, to: &json)
        case .stringConvertible(let convertible):
            appendString(convertible.description, to: &json)
        case .dictionary(let dictionary):
            json += "{"
            for (index, (key, nested)) in dictionary.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { json += "," }
                appendString(key, to: &json)
                json += ":"
                append(nested, to: &json)
            }
            json += "}"
        case .array(let values):
            json += "["
            for (index, nested) in values.enumerated() {
                if index > 0 { json += "," }
                append(nested, to: &json)
            }
            json += "]"
        }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped; everything else as
    /// UTF-8, except the line and paragraph separators, which some JavaScript-based readers take for line ends.
    static func appendString(_ text: String, to json: inout String) {
        json += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case "\u{08}": json += "\\b"
            case "\u{0C}": json += "\\f"
            case "\u{2028}", "\u{2029}",
                _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
    }
}
