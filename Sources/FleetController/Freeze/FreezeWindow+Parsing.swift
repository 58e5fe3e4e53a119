import FleetModel
import Foundation

extension FreezeWindow {
    /// Parses one window, explaining what is missing or wrong.
    public static func parse(_ text: String) -> Result<FreezeWindow, FreezeWindowError> {
        let words: [String]
        switch quotedWords(text) {
        case .success(let split): words = split
        case .failure(let error): return .failure(error)
        }
        guard let name = words.first else { return .failure(.init("a freeze window is empty")) }
        guard !name.contains("="), name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            return .failure(
                .init("a freeze window starts with its name (letters, digits, - _ .), got '\(name)'"))
        }
        var values: [String: String] = [:]
        for word in words.dropFirst() {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                return .failure(.init("'\(word)' in freeze window '\(name)' is not key=value"))
            }
            let key = String(word[..<equals])
            guard values[key] == nil else { return .failure(.init("freeze window '\(name)' sets \(key) twice")) }
            values[key] = String(word[word.index(after: equals)...])
        }
        let allowed = ["duration", "from", "reason", "schedule", "services", "timeZone", "until"]
        for key in values.keys.sorted() where !allowed.contains(key) {
            return .failure(
                .init(
                    "freeze window '\(name)' has no key '\(key)' (expected \(allowed.joined(separator: ", ")))"))
        }
        let timing: Timing
        switch (values["schedule"], values["from"]) {
        case (let schedule?, nil):
            guard values["until"] == nil else {
                return .failure(.init("freeze window '\(name)': until= belongs to a one-off window (from= until=)"))
            }
            var zone = TimeZone.gmt
            if let identifier = values["timeZone"] {
                guard let named = TimeZone(identifier: identifier) else {
                    return .failure(
                        .init(
                            "'\(identifier)' in freeze window '\(name)' is not a time zone (expected an IANA name "
                                + "such as Europe/Berlin or UTC)"))
                }
                zone = named
            }
            let cron: CronSchedule
            switch CronSchedule.parse(schedule, timeZone: zone) {
            case .success(let parsed): cron = parsed
            case .failure(let error): return .failure(.init("freeze window '\(name)': schedule \(error.message)"))
            }
            guard let text = values["duration"] else {
                return .failure(.init("freeze window '\(name)' needs duration= (how long each opening lasts, 64h)"))
            }
            guard let duration = Duration.manifest(text), duration >= .seconds(60) else {
                return .failure(
                    .init(
                        "'\(text)' in freeze window '\(name)' is not a duration of a minute or more (expected "
                            + "30m, 2h, 64h)"))
            }
            timing = .recurring(schedule: cron, duration: duration)
        case (nil, let fromText?):
            for key in ["duration", "timeZone"] where values[key] != nil {
                return .failure(
                    .init(
                        "freeze window '\(name)': \(key)= belongs to a recurring window (schedule=); a one-off window "
                            + "is from= until="))
            }
            guard let untilText = values["until"] else {
                return .failure(.init("freeze window '\(name)' needs until= (an ISO 8601 time, 2026-12-27T00:00:00Z)"))
            }
            guard let from = timestamp(fromText), let until = timestamp(untilText) else {
                let bad = timestamp(fromText) == nil ? fromText : untilText
                return .failure(
                    .init(
                        "'\(bad)' in freeze window '\(name)' is not an ISO 8601 time with its offset (expected "
                            + "2026-12-24T00:00:00Z or 2026-12-24T00:00:00+01:00)"))
            }
            guard from < until else {
                return .failure(.init("freeze window '\(name)' ends (until=) before it starts (from=)"))
            }
            timing = .once(from: from, until: until)
        case (.some, .some):
            return .failure(
                .init("freeze window '\(name)' is either recurring (schedule=) or one-off (from= until=), not both"))
        case (nil, nil):
            return .failure(
                .init(
                    "freeze window '\(name)' needs schedule=\"CRON\" duration= (recurring) or from= until= (one-off)"
                ))
        }
        var services: Set<String>? = nil
        if let list = values["services"] {
            let names = list.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
            guard !names.contains(where: \.isEmpty) else {
                return .failure(.init("services= in freeze window '\(name)' needs names joined with + (web+api)"))
            }
            services = Set(names)
        }
        let reason = values["reason"].flatMap { $0.isEmpty ? nil : $0 }
        return .success(FreezeWindow(name: name, timing: timing, services: services, reason: reason))
    }

    /// Windows comma-separated (commas inside double quotes belong to a value), as the environment and flags
    /// (and a YAML list, joined) give them; names must differ.
    public static func list(_ text: String) -> Result<[FreezeWindow], FreezeWindowError> {
        var windows: [FreezeWindow] = []
        var item = ""
        var quoted = false
        var items: [String] = []
        for character in text {
            if character == "\"" { quoted.toggle() }
            if character == "," && !quoted {
                items.append(item)
                item = ""
            } else {
                item.append(character)
            }
        }
        items.append(item)
        for item in items where !item.trimmingCharacters(in: .whitespaces).isEmpty {
            switch parse(item) {
            case .success(let window):
                guard !windows.contains(where: { $0.name == window.name }) else {
                    return .failure(.init("two freeze windows are named '\(window.name)'"))
                }
                windows.append(window)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(windows)
    }

    /// Words split at spaces outside double quotes; the quotes themselves are dropped.
    static func quotedWords(_ text: String) -> Result<[String], FreezeWindowError> {
        var words: [String] = []
        var word = ""
        var quoted = false
        var started = false
        for character in text {
            if character == "\"" {
                quoted.toggle()
                started = true
            } else if character == " " && !quoted {
                if started { words.append(word) }
                word = ""
                started = false
            } else {
                word.append(character)
                started = true
            }
        }
        guard !quoted else { return .failure(.init("'\(text)' has a \" that is not closed")) }
        if started { words.append(word) }
        return .success(words)
    }

    static func timestamp(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }
}

/// Why a freeze window's text is not one.
public struct FreezeWindowError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
