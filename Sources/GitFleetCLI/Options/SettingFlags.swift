import ArgumentParser
import FleetController

/// One flag per setting of ``ControllerConfiguration/settings`` (or of those `Selection` names), made from
/// the table when the command line is parsed, so that a setting is declared in one place and the options,
/// `--help` and the shell completions cannot drift from it.
///
/// ArgumentParser finds a command's options by reflecting an instance of its `ParsableArguments` type and
/// decodes them by the children's labels; this type's `customMirror` answers with an `Option` per setting
/// (labelled with the setting's key) and its `init(from:)` decodes the same keys, so the parser treats
/// them exactly as hand-written `@Option`s: help, completions, "did you mean" for a misspelt flag. The
/// values stay text here; ``ControllerConfiguration/resolve(file:environment:flags:requiringRepository:)``
/// parses them with the file and the environment, so every bad value is reported at once, naming its flag.
struct SettingFlags<Selection: SettingSelection>: ParsableArguments, CustomReflectable {
    /// The settings given as flags, by their configuration key.
    private(set) var values: [String: String] = [:]

    /// The settings these flags are made from, in the table's order.
    static var settings: [ControllerSetting] {
        ControllerConfiguration.settings.filter { Selection.keys?.contains($0.key) ?? true }
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: SettingKey.self)
        for setting in Self.settings {
            let option = try container.decode(Option<String?>.self, forKey: SettingKey(setting.key))
            if let value = option.wrappedValue { values[setting.key] = value }
        }
    }

    var customMirror: Mirror {
        Mirror(
            self,
            children: Self.settings.map { setting -> Mirror.Child in
                (label: setting.key, value: Self.option(for: setting))
            })
    }

    /// The option of `setting`: its flag, its help with the default, its value's name and completion.
    static func option(for setting: ControllerSetting) -> Option<String?> {
        Option(
            name: .customLong(setting.flag),
            help: ArgumentHelp(help(for: setting), discussion: setting.details, valueName: setting.valueName),
            completion: completion(for: setting.completion))
    }

    /// The summary and the default, as ArgumentParser writes defaults: `… (default: 30s)`.
    static func help(for setting: ControllerSetting) -> String {
        let stated = setting.defaultDescription
        if stated == "required" { return "\(setting.summary) (required)" }
        if stated.hasPrefix("—") { return setting.summary }
        return "\(setting.summary) (default: \(stated))"
    }

    static func completion(for completion: SettingCompletion) -> CompletionKind? {
        switch completion {
        case .none: return nil
        case .file: return .file()
        case .directory: return .directory
        case .choices(let choices): return .list(choices)
        }
    }

    /// A setting's key as the coding key of its option.
    private struct SettingKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }

        init(_ key: String) { stringValue = key }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Which settings a command takes as flags of its own.
protocol SettingSelection {
    /// The keys of the settings; nil for every setting.
    static var keys: Set<String>? { get }
}

/// Every setting: `serve`'s flags.
enum EverySetting: SettingSelection {
    static var keys: Set<String>? { nil }
}
