/// A user's discovery template: text with two nested sections and a few fields (see
/// ``DiscoveryTemplate``). Deliberately small: no expressions, no escaping rules beyond the literal
/// text, so rendering cannot fail and a template cannot run anything.
struct UserTemplate {
    let text: String

    func render(_ set: ServingSet, port: String) -> String {
        let (before, servicesBody, after) = Self.section("services", in: text)
        guard let servicesBody else { return text }
        var output = before
        for name in set.names {
            let fields = ["service": name, "identifier": DiscoveryTemplate.identifier(name)]
            let (head, endpointsBody, tail) = Self.section("endpoints", in: servicesBody)
            output += Self.substitute(head, fields)
            if let endpointsBody {
                for endpoint in set.services[name] ?? [] {
                    guard let number = endpoint.ports[port] else { continue }
                    output += Self.substitute(
                        endpointsBody,
                        fields.merging(
                            [
                                "instance": endpoint.instance, "address": endpoint.address, "port": "\(number)",
                                "weight": "\(endpoint.weight)", "specHash": endpoint.specHash, "image": endpoint.image,
                            ], uniquingKeysWith: { $1 }))
                }
            }
            output += Self.substitute(tail, fields)
        }
        return output + after
    }

    /// Splits `text` around its first `{{#name}}…{{/name}}`; the body is nil when there is none.
    static func section(_ name: String, in text: String) -> (String, String?, String) {
        guard let open = text.range(of: "{{#\(name)}}"),
            let close = text.range(of: "{{/\(name)}}", range: open.upperBound..<text.endIndex)
        else { return (text, nil, "") }
        return (
            String(text[..<open.lowerBound]), String(text[open.upperBound..<close.lowerBound]),
            String(text[close.upperBound...])
        )
    }

    static func substitute(_ text: String, _ fields: [String: String]) -> String {
        var result = text
        for (name, value) in fields { result = result.replacingOccurrences(of: "{{\(name)}}", with: value) }
        return result
    }
}
