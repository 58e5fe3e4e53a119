import FleetModel
import Foundation

/// One setting, declared once in ``ControllerConfiguration/settings``: its key, the kind of value it holds,
/// its help text and where its default comes from. Everything else is derived from that declaration: the
/// environment variable and the flag, `gitfleet serve`'s options, `--help`, the shell completions and the
/// table in docs/configuration.md (which a test holds equal to ``ControllerConfiguration/settingsTable``).
public struct ControllerSetting: Sendable {
    /// The key in the configuration file, in camelCase.
    public let key: String
    /// What the setting does, in a sentence: the help of its flag and the first words of its row in the docs.
    public let summary: String
    /// More to know, shown under the flag's help and after the summary in the docs.
    public let details: String?
    /// What help and docs call a value (`duration`, `path`, `sqlite|etcd`).
    public let valueName: String
    public let completion: SettingCompletion
    /// The default as people read it, when the default configuration's value does not say it (a derived
    /// default, a required setting).
    let statedDefault: String?
    /// Whether the file may give a YAML list (joined with commas, as the environment and flags spell it).
    let acceptsList: Bool
    /// Parses `text` into the configuration; nil, or what is wrong with the text.
    let apply: @Sendable (inout ControllerConfiguration, String) -> SettingValueProblem?
    /// The setting's value in a configuration, as it would be written; nil when unset.
    let current: @Sendable (ControllerConfiguration) -> String?

    /// `GITFLEET_POLL_INTERVAL`.
    public var environmentVariable: String {
        "GITFLEET_" + key.unicodeScalars.map { $0.properties.isUppercase ? "_\($0)" : "\($0)".uppercased() }.joined()
    }

    /// `poll-interval`.
    public var flag: String {
        key.unicodeScalars.map { $0.properties.isUppercase ? "-\($0)".lowercased() : "\($0)" }.joined()
    }

    /// The default as help and docs state it: `30s`, `the repository root`, or `—` for none.
    public var defaultDescription: String {
        statedDefault ?? current(ControllerConfiguration.defaults) ?? "—"
    }

    /// A setting of configuration field `path`, whose values are of kind `type`.
    public init<Value: Sendable>(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, Value> & Sendable,
        _ type: SettingType<Value>, default statedDefault: String? = nil, details: String? = nil
    ) {
        self.key = key
        self.summary = summary
        self.details = details
        self.valueName = type.name
        self.completion = type.completion
        self.statedDefault = statedDefault
        self.acceptsList = type.acceptsList
        self.apply = { configuration, text in
            switch type.parse(text) {
            case .success(let value):
                configuration[keyPath: path] = value
                return nil
            case .failure(let problem): return problem
            }
        }
        self.current = { configuration in type.format(configuration[keyPath: path]) }
    }
}

extension ControllerConfiguration {
    /// The configuration nothing has changed, whose values are the settings' defaults.
    static let defaults = ControllerConfiguration(repository: "", controllerID: "gitfleet-<host>")
}

// The kinds most settings use, by name, so that the table reads as a list of settings.
extension ControllerSetting {
    static func text(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, String> & Sendable,
        default statedDefault: String? = nil, details: String? = nil
    ) -> ControllerSetting {
        ControllerSetting(key, summary, path, .text, default: statedDefault, details: details)
    }

    static func optionalText(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, String?> & Sendable,
        default statedDefault: String? = nil, details: String? = nil
    ) -> ControllerSetting {
        ControllerSetting(
            key, summary, path, SettingType<String>.text.optional, default: statedDefault, details: details)
    }

    /// A file; unset when empty.
    static func file(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, String?> & Sendable,
        default statedDefault: String? = nil, details: String? = nil
    ) -> ControllerSetting {
        ControllerSetting(
            key, summary, path, SettingType<String>.path.optional, default: statedDefault, details: details)
    }

    /// A folder; unset when empty.
    static func directory(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, String?> & Sendable,
        default statedDefault: String? = nil, details: String? = nil
    ) -> ControllerSetting {
        ControllerSetting(
            key, summary, path, SettingType<String>.directory.optional, default: statedDefault, details: details)
    }

    static func duration(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, Duration> & Sendable,
        default statedDefault: String? = nil, details: String? = nil
    ) -> ControllerSetting {
        ControllerSetting(key, summary, path, .duration, default: statedDefault, details: details)
    }

    static func choice<Choice: RawRepresentable & CaseIterable & Sendable>(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, Choice> & Sendable,
        default statedDefault: String? = nil, details: String? = nil
    ) -> ControllerSetting where Choice.RawValue == String {
        ControllerSetting(key, summary, path, .choice, default: statedDefault, details: details)
    }

    /// A comma-separated list in the environment and flags; also a YAML list in the file.
    static func list(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, [String]> & Sendable,
        default statedDefault: String? = nil, details: String? = nil
    ) -> ControllerSetting {
        ControllerSetting(key, summary, path, .list, default: statedDefault, details: details)
    }

    static func bool(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, Bool> & Sendable,
        default statedDefault: String? = nil, details: String? = nil
    ) -> ControllerSetting {
        ControllerSetting(key, summary, path, .bool, default: statedDefault, details: details)
    }

    static func integer(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, Int> & Sendable,
        range: ClosedRange<Int>, default statedDefault: String? = nil, details: String? = nil
    ) -> ControllerSetting {
        ControllerSetting(key, summary, path, .integer(in: range), default: statedDefault, details: details)
    }
}

extension ControllerConfiguration {
    /// The table of settings in docs/configuration.md, one row per setting; a test holds the page to it.
    public static var settingsTable: String {
        let header = """
            | file key | environment | flag | type | default | what it does |
            |---|---|---|---|---|---|

            """
        return header
            + settings.map { setting in
                let cells = [
                    "`\(setting.key)`", "`\(setting.environmentVariable)`", "`--\(setting.flag)`", setting.valueName,
                    setting.defaultDescription,
                    [setting.summary, setting.details].compactMap { $0 }.joined(separator: " "),
                ]
                return "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ")
                    + " |\n"
            }.joined()
    }
}

extension ControllerConfiguration {
    /// Sets the settings given as flags (values by key) on this configuration, as `resolve` does for `serve`;
    /// throws every value that is not one, each naming its flag. For commands that take a few of the
    /// settings as flags of their own (apply's discovery outputs, the runtime options).
    public mutating func apply(flags: [String: String]) throws(ProblemList) {
        var problems: [Problem] = []
        for setting in Self.settings {
            guard let text = flags[setting.key], let problem = setting.apply(&self, text) else { continue }
            problems.append(Problem(source: "--\(setting.flag)", message: problem.message))
        }
        guard problems.isEmpty else { throw ProblemList(problems: problems) }
    }
}
