import Foundation
import Mustache

/// A user's discovery template: Mustache, rendered by swift-mustache rather than an engine of our own, with
/// the serving set as `{{#services}}…{{/services}}` (fields `service`, `identifier`) and, inside it,
/// `{{#endpoints}}…{{/endpoints}}` (fields `instance`, `address`, `port`, `weight`, `specHash`, `image`).
///
/// Values are written as they are, never HTML-escaped: the output is a proxy configuration, not a page.
/// The template is parsed when it is read, so a broken one is refused with its file, line and column
/// before anything is rendered; rendering a parsed template cannot fail.
public struct UserTemplate: Hashable, Sendable {
    /// The template's text, as the user wrote it.
    public let text: String
    private let template: MustacheTemplate

    /// Turns escaping off for the whole template; on a line of its own, so it adds no output, and it is
    /// counted out of the line numbers an error reports.
    private static let pragma = "{{% CONTENT_TYPE: TEXT}}\n"

    /// Parses `text`; `path` only names the file in the error.
    public init(text: String, path: String = "the template") throws(DiscoveryError) {
        self.text = text
        do {
            template = try MustacheTemplate(string: Self.pragma + text)
        } catch let error as MustacheTemplate.ParserError {
            throw DiscoveryError(
                .templateInvalid,
                "the discovery template \(path):\(error.context.lineNumber - 1):\(error.context.columnNumber) "
                    + "is not a valid Mustache template (setting discoveryOutputs): \(Self.reason(error.error)) "
                    + "in '\(error.context.line)'")
        } catch {
            throw DiscoveryError(
                .templateInvalid, "the discovery template \(path) is not a valid Mustache template", underlying: error)
        }
    }

    /// Reads and parses the template file at `path`.
    public init(contentsOf path: String) throws(DiscoveryError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiscoveryError(
                .templateUnreadable, "the discovery template \(path) cannot be read (setting discoveryOutputs)")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), path: path)
    }

    public func render(_ set: ServingSet, port: String) -> String {
        let services: [[String: Any]] = set.names.map { name in
            let fields = ["service": name, "identifier": DiscoveryTemplate.identifier(name)]
            let endpoints: [[String: Any]] = (set.services[name] ?? []).compactMap { endpoint in
                guard let number = endpoint.ports[port] else { return nil }
                return fields.merging(
                    [
                        "instance": endpoint.instance, "address": endpoint.address, "port": "\(number)",
                        "weight": "\(endpoint.weight)", "specHash": endpoint.specHash, "image": endpoint.image,
                    ], uniquingKeysWith: { $1 })
            }
            var service: [String: Any] = fields
            service["endpoints"] = endpoints
            return service
        }
        return template.render(["services": services])
    }

    /// What the parser expected, in words.
    static func reason(_ error: any Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect: return "a section is closed with another section's name"
        case .unfinishedName: return "a tag is not finished with }}"
        case .expectedSectionEnd: return "a section is not closed"
        case .invalidSetDelimiter: return "a set-delimiter tag is malformed"
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable: return "a pragma tag is not understood"
        case .transformAppliedToInheritanceSection, .illegalTokenInsideInheritSection, .textInsideInheritSection:
            return "a partial's inheritance is malformed"
        case nil: return "\(error)"
        }
    }

    public static func == (lhs: UserTemplate, rhs: UserTemplate) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
