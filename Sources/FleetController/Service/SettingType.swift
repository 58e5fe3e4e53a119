import FleetModel
import Foundation

/// The kind of value a setting holds: how it is read from text, how it is written back, what help calls
/// it and how a shell completes it.
///
/// The file, the environment and flags all spell a value as text, and every kind is parsed here, once, so
/// a bad value reads the same wherever it was given and names where that was:
/// `--poll-interval: expected a duration such as 30s or 2m, got "3x"`.
public struct SettingType<Value: Sendable>: Sendable {
    /// What help and docs call a value: `duration`, `path`, `sqlite|etcd`.
    public var name: String
    /// How a shell completes a value.
    public var completion: SettingCompletion
    /// Whether the file may give a YAML list (joined with commas, as the environment and flags spell it).
    var acceptsList = false
    let parse: @Sendable (String) -> Result<Value, SettingValueProblem>
    /// The value as a setting spells it; nil when it is unset (nothing to show as a default).
    let format: @Sendable (Value) -> String?

    /// A kind whose own parser explains what is wrong with a value.
    public init(
        name: String, completion: SettingCompletion = .none,
        parse: @escaping @Sendable (String) -> Result<Value, SettingValueProblem>,
        format: @escaping @Sendable (Value) -> String?
    ) {
        self.name = name
        self.completion = completion
        self.parse = parse
        self.format = format
    }

    /// A kind whose values are those `parse` returns; any other text is `expected …, got "text"`.
    public init(
        name: String, expected: String, completion: SettingCompletion = .none,
        parse: @escaping @Sendable (String) -> Value?, format: @escaping @Sendable (Value) -> String?
    ) {
        self.init(
            name: name, completion: completion,
            parse: { text in
                parse(text).map { .success($0) }
                    ?? .failure(SettingValueProblem("expected \(expected), got \"\(text)\""))
            }, format: format)
    }

    /// `text` as a value of this kind, or what is wrong with it; for options that are not settings (such
    /// as `apply --timeout`), so that they read and report values as the settings do.
    public func value(of text: String) -> Result<Value, SettingValueProblem> { parse(text) }

    /// The same kind, optional: empty text unsets it.
    public var optional: SettingType<Value?> {
        let parse = self.parse
        let format = self.format
        var optional = SettingType<Value?>(
            name: name, completion: completion,
            parse: { text in text.isEmpty ? .success(nil) : parse(text).map { Optional($0) } },
            format: { value in value.flatMap(format) })
        optional.acceptsList = acceptsList
        return optional
    }
}

/// Why a text is not a value of a setting's kind, said as the end of `<source>: <message>`.
public struct SettingValueProblem: Error, Sendable, Hashable {
    public var message: String

    public init(_ message: String) { self.message = message }
}

/// How a shell completes a setting's value.
public enum SettingCompletion: Sendable, Hashable {
    case none
    case file
    case directory
    case choices([String])
}

extension SettingType where Value == String {
    public static var text: Self {
        Self(name: "text", expected: "text", parse: { $0 }, format: { $0.isEmpty ? nil : $0 })
    }

    /// A file.
    public static var path: Self {
        Self(name: "path", expected: "a path", completion: .file, parse: { $0 }, format: { $0.isEmpty ? nil : $0 })
    }

    /// A folder.
    public static var directory: Self {
        Self(
            name: "directory", expected: "a path", completion: .directory, parse: { $0 },
            format: { $0.isEmpty ? nil : $0 })
    }
}

extension SettingType where Value == Duration {
    /// A positive duration as manifests write it: `500ms`, `30s`, `5m`, `1h30m`.
    public static var duration: Self {
        Self(
            name: "duration", expected: "a duration such as 30s or 2m",
            parse: { text in Duration.manifest(text).flatMap { $0 > .zero ? $0 : nil } },
            format: { $0.manifestDescription })
    }
}

extension SettingType where Value == Bool {
    public static var bool: Self {
        Self(
            name: "true|false", expected: "true or false", completion: .choices(["true", "false"]),
            parse: { text in
                switch text.lowercased() {
                case "true", "1", "yes": return true
                case "false", "0", "no": return false
                default: return nil
                }
            }, format: { "\($0)" })
    }
}

extension SettingType where Value == Int {
    public static func integer(in range: ClosedRange<Int>) -> Self {
        Self(
            name: "number", expected: "a whole number from \(range.lowerBound) to \(range.upperBound)",
            parse: { text in Int(text).flatMap { range.contains($0) ? $0 : nil } }, format: { "\($0)" })
    }
}

extension SettingType where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of the enumeration's raw values.
    public static var choice: Self {
        let choices = Value.allCases.map(\.rawValue)
        return Self(
            name: choices.joined(separator: "|"),
            expected: choices.dropLast().joined(separator: ", ") + (choices.count > 1 ? " or " : "")
                + (choices.last ?? ""),
            completion: .choices(choices), parse: { Value(rawValue: $0) }, format: { $0.rawValue })
    }
}

extension SettingType where Value == [String] {
    /// Comma-separated in the environment and flags, also a YAML list in the file; blanks are dropped.
    public static var list: Self {
        var list = Self(
            name: "list", expected: "a comma-separated list",
            parse: { text in
                text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }, format: { $0.isEmpty ? nil : $0.joined(separator: ",") })
        list.acceptsList = true
        return list
    }
}
