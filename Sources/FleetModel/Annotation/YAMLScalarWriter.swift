/// Writes strings as YAML scalars that every YAML reader reads back as the same string.
///
/// Plain only for a conservative set of words (letters, digits and `._/@+-`, starting with a letter or digit,
/// and not something a YAML 1.1 or 1.2 reader would type as a number, boolean or null); double-quoted with
/// escapes otherwise. Multi-line text becomes a literal block scalar only when git's own note clean-up
/// (`git notes` strips trailing spaces and squeezes blank lines) would leave every line as it is.
enum YAMLScalarWriter {
    /// A scalar that fits on the line after `key: ` or inside a flow mapping.
    static func inline(_ text: String) -> String {
        isSafePlain(text) ? text : doubleQuoted(text)
    }

    /// The value part after `key:` at the top level: ` value` or ` |` followed by indented lines.
    static func block(_ text: String, indent: String) -> String {
        guard fitsLiteralBlock(text) else { return " " + inline(text) }
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        var result = text.hasSuffix("\n") ? " |" : " |-"
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            result += line.isEmpty ? "\n" : "\n\(indent)\(line)"
        }
        return result
    }

    static func doubleQuoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if isPrintable(scalar) && !isLineBreak(scalar) {
                    result.unicodeScalars.append(scalar)
                } else if scalar.value <= 0xFFFF {
                    result += "\\u" + hex(scalar.value, digits: 4)
                } else {
                    result += "\\U" + hex(scalar.value, digits: 8)
                }
            }
        }
        return result + "\""
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func isSafePlain(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, isASCIIAlphanumeric(first) else { return false }
        guard text.unicodeScalars.allSatisfy({ isASCIIAlphanumeric($0) || "._/@+-".unicodeScalars.contains($0) })
        else { return false }
        let lowered = text.lowercased()
        // YAML 1.1 booleans and radix integers, for readers older than the core schema.
        if ["y", "n", "yes", "no", "on", "off"].contains(lowered) { return false }
        if lowered.count > 1, first.properties.numericType != nil,
            ["0x", "0o", "0b"].contains(String(lowered.prefix(2)))
        {
            return false
        }
        let mark = YAMLMark(line: 0, column: 0, isFromDefaults: false)
        return YAMLScalar(text: text, isPlain: true, mark: mark).type == .string
    }

    /// Whether `text` reads back exactly from a literal block scalar and survives git's clean-up of notes.
    private static func fitsLiteralBlock(_ text: String) -> Bool {
        guard text.contains("\n") else { return false }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, !first.isEmpty, first.first != " " else { return false }
        var previousEmpty = false
        for line in lines {
            if line.isEmpty {
                if previousEmpty { return false }
                previousEmpty = true
                continue
            }
            previousEmpty = false
            if line.last == " " { return false }
        }
        return text.unicodeScalars.allSatisfy { $0 == "\n" || (isPrintable($0) && !isLineBreak($0) && $0 != "\t") }
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    /// libyaml's printable set, less the byte-order mark.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20...0x7E, 0xA0...0xD7FF, 0x10000...0x10FFFF: return true
        case 0xE000...0xFFFD: return scalar.value != 0xFEFF
        default: return false
        }
    }

    /// Characters YAML 1.1 readers (libyaml among them) treat as line breaks.
    private static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        [0x85, 0x2028, 0x2029].contains(scalar.value)
    }
}
