/// `$(NAME)` references in argv, expanded as Kubernetes expands them: from the instance's environment, with
/// `$$(NAME)` as an escaped literal and unknown names left exactly as written (so a typo is visible in the
/// process list rather than silently empty).
enum ArgumentExpansion {
    static func expand(_ argument: String, environment: [String: String]) -> String {
        var result = ""
        var rest = Substring(argument)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("$(") {
                result += "$("
                rest = after.dropFirst(2)
            } else if after.hasPrefix("("), let close = after.firstIndex(of: ")") {
                let name = String(after[after.index(after: after.startIndex)..<close])
                if let value = environment[name] {
                    result += value
                } else {
                    result += "$(\(name))"
                }
                rest = after[after.index(after: close)...]
            } else {
                result += "$"
                rest = after
            }
        }
        return result + rest
    }
}
