/// A strict reader of the Prometheus text exposition format 0.0.4, for tests of what `/metrics` serves.
///
/// It accepts only what the format allows: `# HELP name text` and `# TYPE name type` (at most once per family,
/// TYPE before the family's samples), other `#` comments, blank lines, and samples `name{label="value",…} value`
/// with valid names, escaped label values and a float value. Anything else throws, naming the line, so a test can
/// assert that a whole scrape parses.
public struct PrometheusExposition: Sendable {
    public struct Sample: Sendable, Equatable {
        public var name: String
        /// In the order they were written.
        public var labels: [Label]
        public var value: Double

        public struct Label: Sendable, Equatable {
            public var name: String
            public var value: String
        }

        /// The labels by name.
        public var labelSet: [String: String] {
            Dictionary(labels.map { ($0.name, $0.value) }) { first, _ in first }
        }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var text: String
        public var problem: String
        public var description: String { "line \(line): \(problem): \(text)" }
    }

    /// The `# HELP` text of each family that has one.
    public private(set) var help: [String: String] = [:]
    /// The `# TYPE` of each family (`counter`, `gauge`, `histogram`, `summary`, `untyped`).
    public private(set) var types: [String: String] = [:]
    public private(set) var samples: [Sample] = []

    public init(_ text: String) throws {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            func fail(_ problem: String) -> ParseError {
                ParseError(line: index + 1, text: String(line), problem: problem)
            }
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
                guard words.count >= 3, words[0] == "#", words[1] == "HELP" || words[1] == "TYPE" else { continue }
                let name = String(words[2])
                guard Self.isMetricName(name) else { throw fail("invalid metric name") }
                let rest = words.count > 3 ? String(words[3]) : ""
                if words[1] == "HELP" {
                    guard help[name] == nil else { throw fail("second HELP line for \(name)") }
                    help[name] = rest
                } else {
                    guard types[name] == nil else { throw fail("second TYPE line for \(name)") }
                    guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(rest) else {
                        throw fail("unknown type")
                    }
                    guard !samples.contains(where: { Self.family(of: $0.name, types: [name: rest]) == name }) else {
                        throw fail("TYPE after samples of \(name)")
                    }
                    types[name] = rest
                }
                continue
            }
            guard let sample = Self.sample(line) else { throw fail("not a sample `name{labels} value`") }
            samples.append(sample)
        }
    }

    /// The family a sample belongs to: its name, or for a histogram's `_bucket`, `_sum` and `_count` the
    /// histogram's name.
    public func family(of sampleName: String) -> String? { Self.family(of: sampleName, types: types) }

    /// The value of the sample `name` whose labels are exactly `labels`, or nil.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labelSet == labels }?.value
    }

    /// The samples of one family (a histogram's with their suffixes).
    public func samples(of family: String) -> [Sample] {
        samples.filter { self.family(of: $0.name) == family }
    }

    private static func family(of sampleName: String, types: [String: String]) -> String? {
        if types[sampleName] != nil { return sampleName }
        for suffix in ["_bucket", "_sum", "_count"] where sampleName.hasSuffix(suffix) {
            let base = String(sampleName.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return nil
    }

    private static func sample(_ line: Substring) -> Sample? {
        var rest = line[...]
        let name = String(rest.prefix { isNameCharacter($0) })
        guard isMetricName(name) else { return nil }
        rest = rest.dropFirst(name.count)
        var labels: [Sample.Label] = []
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = String(rest.prefix { isNameCharacter($0) && $0 != ":" })
                guard isMetricName(labelName), !labels.contains(where: { $0.name == labelName }) else { return nil }
                rest = rest.dropFirst(labelName.count)
                guard rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    guard character == "\\" else {
                        guard character != "\n" else { return nil }
                        value.append(character)
                        continue
                    }
                    switch rest.first {
                    case "\\": value.append("\\")
                    case "\"": value.append("\"")
                    case "n": value.append("\n")
                    default: return nil
                    }
                    rest = rest.dropFirst()
                }
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                labels.append(.init(name: labelName, value: value))
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { return nil }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { return nil }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
        // The value, then an optional integer timestamp.
        guard (1...2).contains(fields.count), let value = parseValue(fields[0]),
            fields.count == 1 || Int64(fields[1]) != nil
        else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return text.contains(where: \.isLetter) && !text.contains("e") ? nil : Double(text)
        }
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == ":")
    }

    private static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, !first.isNumber else { return false }
        return name.allSatisfy(isNameCharacter)
    }
}
