import FleetModel
import Foundation

extension DecodingError {
    /// What is wrong with a JSON body, as a sentence for the person who sent it: the field path and what was
    /// expected there, never Swift's debug description of the error (type names, coding keys, underlying
    /// `NSError`s) that an API answer must not carry.
    var sentence: String {
        switch self {
        case .keyNotFound(let key, let context):
            return "The body has no field '\(Self.path(context.codingPath + [key]))'."
        case .typeMismatch(let type, let context):
            return context.codingPath.isEmpty
                ? "The body is not \(Self.noun(type))."
                : "The field '\(Self.path(context.codingPath))' is not \(Self.noun(type))."
        case .valueNotFound(let type, let context):
            return "The field '\(Self.path(context.codingPath))' is null where \(Self.noun(type)) is expected."
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "The body is not valid JSON."
                : "The field '\(Self.path(context.codingPath))' holds a value that cannot be read."
        @unknown default:
            return "The body cannot be read as the JSON expected."
        }
    }

    /// `commits[0].id`
    private static func path(_ codingPath: [any CodingKey]) -> String {
        let text = CodingPath.text(codingPath)
        return text.isEmpty ? "(the whole body)" : text
    }

    private static func noun(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is Double.Type: return "a number"
        case is [Any].Type: return "a list"
        default: return "an object"
        }
    }
}
