/// Reads typed values out of composed YAML nodes, recording an issue for every node that does not fit
/// and carrying on, so that one pass reports everything wrong in a document.
struct NodeReader {
    let file: String
    /// The fleet file, for nodes that a service inherited from its defaults.
    let defaultsFile: String?
    let limits: ManifestLimits
    var issues: [ManifestIssue] = []

    init(file: String, defaultsFile: String?, limits: ManifestLimits) {
        self.file = file
        self.defaultsFile = defaultsFile
        self.limits = limits
    }

    func location(_ node: YAMLNode) -> SourceLocation {
        node.mark.location(file: file, defaultsFile: defaultsFile)
    }

    mutating func report(_ node: YAMLNode, _ path: String, _ message: String, expected: String? = nil) {
        var path = path
        // A service's merged spec holds nodes inherited from the defaults: name them where they were written.
        if node.mark.isFromDefaults, defaultsFile != nil,
            path == "spec" || path.hasPrefix("spec.") || path.hasPrefix("spec[")
        {
            path = "spec.defaults" + path.dropFirst(4)
        }
        issues.append(ManifestIssue(location: location(node), fieldPath: path, message: message, expected: expected))
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The entries of a mapping whose keys are strings, each key once; reports other keys and repeats.
    ///
    /// `path` is only evaluated to report an issue: building field paths for every valid field was a
    /// large part of decoding a fleet.
    mutating func entries(_ node: YAMLNode, _ path: @autoclosure () -> String, expected: String) -> [(
        name: String, key: YAMLNode, value: YAMLNode
    )]? {
        guard case .mapping(let pairs, _) = node else {
            report(node, path(), "found \(node.kindDescription)", expected: expected)
            return nil
        }
        var result: [(name: String, key: YAMLNode, value: YAMLNode)] = []
        result.reserveCapacity(pairs.count)
        // Manifest mappings are small: a linear scan for repeats beats hashing every key.
        for pair in pairs {
            guard case .scalar(let key) = pair.key, !key.isNull else {
                report(pair.key, path(), "a key must be a plain name, found \(pair.key.kindDescription)")
                continue
            }
            if let first = result.first(where: { $0.name == key.text }) {
                report(
                    pair.key, NodeReader.join(path(), key.text),
                    "duplicate key '\(key.text)'; it is already set at \(location(first.key))",
                    expected: "each key once per mapping")
                continue
            }
            result.append((key.text, pair.key, pair.value))
        }
        return result
    }

    /// Like ``entries(_:_:expected:)`` for a mapping with a fixed set of fields; unknown fields are
    /// reported, with the closest known name when one is near.
    mutating func fields(
        _ node: YAMLNode, _ path: @autoclosure () -> String, known: [String], expected: @autoclosure () -> String
    ) -> [String: (
        key: YAMLNode, value: YAMLNode
    )]? {
        guard let entries = entries(node, path(), expected: expected()) else { return nil }
        var result: [String: (key: YAMLNode, value: YAMLNode)] = [:]
        result.reserveCapacity(entries.count)
        for entry in entries {
            guard known.contains(entry.name) else {
                var message = "unknown field '\(entry.name)'"
                if let suggestion = FieldSuggestion.closest(to: entry.name, among: known) {
                    message += "; did you mean '\(suggestion)'?"
                }
                report(
                    entry.key, NodeReader.join(path(), entry.name), message,
                    expected: "one of " + known.joined(separator: ", "))
                continue
            }
            result[entry.name] = (entry.key, entry.value)
        }
        return result
    }

    mutating func string(
        _ node: YAMLNode, _ path: @autoclosure () -> String, expected: @autoclosure () -> String = "a string"
    ) -> String? {
        guard case .scalar(let scalar) = node, !scalar.isNull else {
            report(node, path(), "found \(node.kindDescription)", expected: expected())
            return nil
        }
        return scalar.text
    }

    /// A string that must have been written as one: a plain number or boolean is refused with a hint
    /// to quote it, because YAML tools disagree about what `yes`, `1.0` or `0777` turn into.
    mutating func strictString(_ node: YAMLNode, _ path: @autoclosure () -> String, what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(node, path(), "found \(node.kindDescription)", expected: "a string")
            return nil
        }
        switch scalar.type {
        case .string:
            // Only words of up to three letters can be one of these; lower-casing every string was costly.
            if scalar.isPlain, scalar.text.utf8.count <= 3,
                ["yes", "no", "on", "off", "y", "n"].contains(scalar.text.lowercased())
            {
                report(
                    node, path(), "\(what) \(scalar.text) reads as a boolean in some YAML tools; quote it",
                    expected: "a quoted string such as \"\(scalar.text)\"")
                return nil
            }
            return scalar.text
        case .null:
            report(node, path(), "\(what) is empty; write \"\" for an empty string", expected: "a string")
        case .bool, .integer, .float:
            report(
                node, path(), "\(what) \(scalar.text) is \(node.kindDescription), not a string; quote it",
                expected: "a quoted string such as \"\(scalar.text)\"")
        }
        return nil
    }

    mutating func integer(_ node: YAMLNode, _ path: @autoclosure () -> String, in range: ClosedRange<Int>) -> Int? {
        var expected: String { "a whole number from \(range.lowerBound) to \(range.upperBound)" }
        guard case .scalar(let scalar) = node, scalar.type == .integer, let value = scalar.integer else {
            report(node, path(), "found \(node.kindDescription)", expected: expected)
            return nil
        }
        guard range.contains(value) else {
            let message = value < 0 ? "\(value) must not be negative" : "\(value) is out of range"
            report(node, path(), message, expected: expected)
            return nil
        }
        return value
    }

    mutating func bool(_ node: YAMLNode, _ path: @autoclosure () -> String) -> Bool? {
        guard case .scalar(let scalar) = node, let value = scalar.bool else {
            report(node, path(), "found \(node.kindDescription)", expected: "true or false")
            return nil
        }
        return value
    }

    mutating func duration(
        _ node: YAMLNode, _ path: @autoclosure () -> String, in range: ClosedRange<Duration>
    ) -> Duration? {
        var expected: String {
            "a duration like 30s, 10m or 1h30m from \(range.lowerBound.manifestDescription)"
                + " to \(range.upperBound.manifestDescription)"
        }
        guard case .scalar(let scalar) = node, !scalar.isNull, let value = Duration.manifest(scalar.text) else {
            report(
                node, path(),
                "found \(node.kindDescription == "a string" ? "'\(node.scalarText)'" : node.kindDescription)",
                expected: expected)
            return nil
        }
        guard range.contains(value) else {
            report(node, path(), "\(scalar.text) is out of range", expected: expected)
            return nil
        }
        return value
    }

    mutating func stringList(_ node: YAMLNode, _ path: String, allowEmpty: Bool = true) -> [String]? {
        guard case .sequence(let items, _) = node else {
            report(node, path, "found \(node.kindDescription)", expected: "a list of strings")
            return nil
        }
        if !allowEmpty && items.isEmpty {
            report(node, path, "the list is empty", expected: "at least one string")
            return nil
        }
        var result: [String] = []
        var valid = true
        for (index, item) in items.enumerated() {
            if let text = string(item, "\(path)[\(index)]") {
                result.append(text)
            } else {
                valid = false
            }
        }
        return valid ? result : nil
    }
}

extension YAMLNode {
    var scalarText: String {
        if case .scalar(let scalar) = self { return scalar.text }
        return ""
    }
}
