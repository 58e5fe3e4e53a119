/// Where a node was written: 1-based line and column, and whether it came from the fleet file's defaults
/// (after merging, one spec holds nodes from two files).
struct YAMLMark: Hashable, Sendable {
    var line: Int32
    var column: Int32
    var isFromDefaults: Bool

    func location(file: String, defaultsFile: String?) -> SourceLocation {
        SourceLocation(file: isFromDefaults ? (defaultsFile ?? file) : file, line: Int(line), column: Int(column))
    }
}

/// A composed YAML node with its position. Scalars keep their text untyped: the decoder types them
/// itself (a plain `8080` is a number, a quoted `"8080"` is a string), which keeps typing cheap and
/// the rules in one place.
enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case mapping([YAMLPair], YAMLMark)
    case sequence([YAMLNode], YAMLMark)

    var mark: YAMLMark {
        switch self {
        case .scalar(let scalar): return scalar.mark
        case .mapping(_, let mark), .sequence(_, let mark): return mark
        }
    }

    /// What the node is, for messages such as "found a list".
    var kindDescription: String {
        switch self {
        case .scalar(let scalar):
            switch scalar.type {
            case .null: return "null"
            case .bool: return "a boolean"
            case .integer, .float: return "a number"
            case .string: return "a string"
            }
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }
}

struct YAMLPair: Sendable {
    var key: YAMLNode
    var value: YAMLNode
}

struct YAMLScalar: Sendable {
    enum ScalarType: Sendable {
        case null
        case bool
        case integer
        case float
        case string
    }

    var text: String
    /// Plain (unquoted, untagged) scalars are typed by their text; any other style is a string.
    var isPlain: Bool
    var mark: YAMLMark

    /// Whether the scalar is null (`~`, `null`, empty), without typing it in full.
    var isNull: Bool {
        guard isPlain else { return false }
        switch text {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// YAML 1.2 core schema typing, done by hand rather than by regular expressions.
    var type: ScalarType {
        guard isPlain else { return .string }
        // Most scalars are words: only these first bytes can start a null, a boolean or a number.
        if let first = text.utf8.first {
            switch first {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
                UInt8(ascii: "f"), UInt8(ascii: "F"):
                break
            default:
                return .string
            }
        }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE", "false", "False", "FALSE": return .bool
        default: break
        }
        if Int(text) != nil || (text.hasPrefix("+") && Int(text.dropFirst()) != nil) { return .integer }
        if YAMLScalar.looksLikeFloat(text) { return .float }
        return .string
    }

    var bool: Bool? {
        guard type == .bool else { return nil }
        return text.first == "t" || text.first == "T"
    }

    var integer: Int? {
        guard isPlain else { return nil }
        return Int(text.hasPrefix("+") ? String(text.dropFirst()) : text)
    }

    var number: Double? {
        guard isPlain, type == .integer || type == .float else { return nil }
        return Double(text.hasPrefix("+") ? String(text.dropFirst()) : text)
    }

    private static func looksLikeFloat(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            bytes = bytes.dropFirst()
        }
        var sawDigit = false
        var sawDot = false
        var sawExponent = false
        var previous: UInt8 = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "."):
                guard !sawDot, !sawExponent else { return false }
                sawDot = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                guard sawDigit, !sawExponent else { return false }
                sawExponent = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"):
                guard previous == UInt8(ascii: "e") || previous == UInt8(ascii: "E") else { return false }
            default: return false
            }
            previous = byte
        }
        return sawDigit
            && (previous >= UInt8(ascii: "0") && previous <= UInt8(ascii: "9") || previous == UInt8(ascii: "."))
    }
}

extension YAMLNode {
    /// Appends a description of the node's structure and positions; equal fingerprints mean the same
    /// values at the same places, so results derived from the node can be reused.
    func fingerprint(into text: inout String) {
        switch self {
        case .scalar(let scalar):
            text += "s\(scalar.mark.line):\(scalar.mark.column):\(scalar.isPlain ? "p" : "q")\(scalar.text.utf8.count):"
            text += scalar.text
        case .mapping(let pairs, let mark):
            text += "m\(mark.line):\(mark.column)\(pairs.count){"
            for pair in pairs {
                pair.key.fingerprint(into: &text)
                pair.value.fingerprint(into: &text)
            }
            text += "}"
        case .sequence(let items, let mark):
            text += "l\(mark.line):\(mark.column)\(items.count)["
            for item in items { item.fingerprint(into: &text) }
            text += "]"
        }
    }
}
