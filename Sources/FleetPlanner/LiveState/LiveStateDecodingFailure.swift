import FleetModel
import Foundation

/// Turns a `DecodingError` into a ``LiveStateError`` that names the record and field as a JSON path
/// and quotes the offending value, which the decoder's own messages do not do.
struct LiveStateDecodingFailure {
    var error: DecodingError
    var data: Data
    /// What the whole document should have been, said when it is something else.
    var expectedDocument = "a list of instance records"

    func error(file: String) -> LiveStateError {
        switch error {
        case .typeMismatch(let type, let context):
            let found = describe(valueAt(context.codingPath))
            if context.codingPath.isEmpty {
                return invalid(file, [], "expected \(expectedDocument), found \(found)")
            }
            return invalid(file, context.codingPath, "expected \(Self.describe(type)), found \(found)")
        case .valueNotFound(let type, let context):
            return invalid(file, context.codingPath, "expected \(Self.describe(type)), found null")
        case .keyNotFound(let key, let context):
            return invalid(file, context.codingPath + [key], "missing")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return LiveStateError(
                    code: .malformedJSON, file: file,
                    message: "not valid JSON (\(detail ?? context.debugDescription))", underlying: error)
            }
            if context.codingPath.last?.stringValue == "state", case let text as String = valueAt(context.codingPath) {
                let states = InstanceState.allCases.map(\.rawValue).joined(separator: ", ")
                return invalid(file, context.codingPath, "unknown state '\(text)' (expected one of \(states))")
            }
            return invalid(file, context.codingPath, context.debugDescription)
        @unknown default:
            return LiveStateError(code: .invalidRecord, file: file, message: "\(error)", underlying: error)
        }
    }

    private func invalid(_ file: String, _ path: [any CodingKey], _ message: String) -> LiveStateError {
        LiveStateError(
            code: .invalidRecord, file: file, fieldPath: CodingPath.text(path), message: message, underlying: error)
    }

    /// The raw JSON value at `path`, to quote it back to the person who wrote it.
    private func valueAt(_ path: [any CodingKey]) -> Any? {
        guard var value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return nil
        }
        for key in path {
            if let index = key.intValue, let list = value as? [Any], list.indices.contains(index) {
                value = list[index]
            } else if let object = value as? [String: Any], let member = object[key.stringValue] {
                value = member
            } else {
                return nil
            }
        }
        return value
    }

    private func describe(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return "null"
        case let text as String: return "the string '\(text)'"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case let number as NSNumber: return "\(number)"
        case let other?: return "\(other)"
        }
    }

    static func describe(_ type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type == Int.self { return "a whole number" }
        if type == Bool.self { return "true or false" }
        if type == Date.self { return "an ISO-8601 date string" }
        let name = "\(type)"
        if name.hasPrefix("Dictionary") || name.hasPrefix("[") && name.contains(":") { return "an object" }
        if name.hasPrefix("Array") || name.hasPrefix("[") { return "a list" }
        return name
    }
}
