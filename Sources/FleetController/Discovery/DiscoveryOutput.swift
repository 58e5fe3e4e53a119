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

    public var description: String {
        switch kind {
        case .nginx: return "nginx:\(path)"
        case .haproxy: return "haproxy:\(path)"
        case .template(let template): return "template:\(template):\(path)"
        }
    }
}
