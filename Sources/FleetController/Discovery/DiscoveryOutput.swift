import Foundation

/// One file discovery keeps up to date: which template renders it and where it is written.
///
/// Written in settings as `nginx:PATH`, `haproxy:PATH` or `template:TEMPLATE_PATH:PATH`.
public struct DiscoveryOutput: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case nginx
        case haproxy
        /// A user template read from this path at every render, so editing it needs no restart.
        case template(path: String)
    }

    public var kind: Kind
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// Parses `nginx:PATH`, `haproxy:PATH` or `template:TEMPLATE:PATH`; nil with no usable form.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "nginx" where parts.count == 2 && !parts[1].isEmpty: self.init(kind: .nginx, path: parts[1])
        case "haproxy" where parts.count == 2 && !parts[1].isEmpty: self.init(kind: .haproxy, path: parts[1])
        case "template" where parts.count == 3 && !parts[1].isEmpty && !parts[2].isEmpty:
            self.init(kind: .template(path: parts[1]), path: parts[2])
        default: return nil
        }
    }

    /// Parses a comma-separated list of outputs; the error names the entry that is not one. A user
    /// template is read and parsed here, so a broken one stops the controller (or `apply`) at start with
    /// its file and line rather than failing the first publication.
    public static func list(_ text: String) -> Result<[DiscoveryOutput], DiscoveryError> {
        var outputs: [DiscoveryOutput] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            guard let output = DiscoveryOutput(entry) else {
                return .failure(
                    DiscoveryError(
                        .badSetting,
                        "'\(entry)' is not a discovery output (expected nginx:PATH, haproxy:PATH or template:TEMPLATE:PATH)"
                    ))
            }
            if case .template(let path) = output.kind {
                do {
                    _ = try UserTemplate(contentsOf: path)
                } catch {
                    return .failure(error)
                }
            }
            outputs.append(output)
        }
        return .success(outputs)
    }

    /// Parses a reload command: a JSON array of strings, or words split at spaces.
    public static func command(_ text: String) -> Result<[String], DiscoveryError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("[") else { return .success(trimmed.split(separator: " ").map(String.init)) }
        guard let words = try? JSONDecoder().decode([String].self, from: Data(trimmed.utf8)), let first = words.first,
            !first.isEmpty
        else {
            return .failure(
                DiscoveryError(.badSetting, "'\(text)' is not a JSON array of strings with a program first"))
        }
        return .success(words)
    }

    public var description: String {
        switch kind {
        case .nginx: return "nginx:\(path)"
        case .haproxy: return "haproxy:\(path)"
        case .template(let template): return "template:\(template):\(path)"
        }
    }
}
