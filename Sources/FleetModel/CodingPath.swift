/// A decoder's coding path as a person reads a field path: `[2].ports.http`, indices in brackets, keys joined by
/// dots. One spelling for every message that points into a JSON document (the live-state file, API bodies).
public enum CodingPath {
    public static func text(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }
}
