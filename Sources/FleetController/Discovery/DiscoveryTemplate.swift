/// How a discovery output file is rendered from the serving set.
///
/// The built-in templates write one block per service: an nginx `upstream gitfleet_<service>` (include
/// the file inside `http {}`) and an HAProxy `backend gitfleet_<service>`. A service with no serving
/// instance (not started yet, or removed from the desired state; see ``DiscoveryPublisher``) gets a
/// placeholder server marked down, so the file stays valid and requests fail fast rather than the reload
/// failing. A user template is Mustache (see ``UserTemplate``).
public enum DiscoveryTemplate: Hashable, Sendable {
    case nginx
    case haproxy
    /// A user template, parsed.
    case user(UserTemplate)

    /// Renders `set`; `port` names the port clients reach (an endpoint without it is left out).
    public func render(_ set: ServingSet, port: String) -> String {
        switch self {
        case .nginx: return Self.renderNginx(set, port: port)
        case .haproxy: return Self.renderHAProxy(set, port: port)
        case .user(let template): return template.render(set, port: port)
        }
    }

    static let header = "# Written by gitfleet from the serving set; changes are overwritten.\n"

    static func renderNginx(_ set: ServingSet, port: String) -> String {
        renderBlocks(
            set, port: port, open: { "upstream gitfleet_\($0) {\n" }, close: "}\n",
            server: { "    server \($0.address):\($1) weight=\($0.weight); # \($0.instance)\n" },
            placeholder: "    server 127.0.0.1:9 down; # no serving instance\n")
    }

    static func renderHAProxy(_ set: ServingSet, port: String) -> String {
        renderBlocks(
            set, port: port, open: { "backend gitfleet_\($0)\n" }, close: "",
            server: { "    server \($0.instance) \($0.address):\($1) weight \($0.weight) check\n" },
            placeholder: "    server none 127.0.0.1:9 disabled\n")
    }

    /// One block per service, one line per endpoint that has the port, a placeholder for none.
    static func renderBlocks(
        _ set: ServingSet, port: String, open: (String) -> String, close: String,
        server: (ServingSet.Endpoint, Int) -> String, placeholder: String
    ) -> String {
        var text = header
        for name in set.names {
            text += open(identifier(name))
            let endpoints = (set.services[name] ?? []).compactMap { endpoint in
                endpoint.ports[port].map { (endpoint, $0) }
            }
            for (endpoint, number) in endpoints { text += server(endpoint, number) }
            if endpoints.isEmpty { text += placeholder }
            text += close
        }
        return text
    }

    /// Service names are DNS labels; a dash is not allowed in every configuration language's names.
    static func identifier(_ name: String) -> String {
        name.replacingOccurrences(of: "-", with: "_")
    }

    /// The services whose blocks a file rendered by the built-in template of `kind` holds (none for a user
    /// template, whose shape is the user's): how a restarted controller keeps the blocks a proxy may still use.
    /// Names are DNS labels, so an identifier maps back to exactly one name.
    static func blocks(in text: String, kind: DiscoveryOutput.Kind) -> Set<String> {
        let prefix: String
        switch kind {
        case .nginx: prefix = "upstream gitfleet_"
        case .haproxy: prefix = "backend gitfleet_"
        case .template: return []
        }
        var names: Set<String> = []
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            let identifier = line.dropFirst(prefix.count).prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            guard !identifier.isEmpty else { continue }
            names.insert(identifier.replacingOccurrences(of: "_", with: "-"))
        }
        return names
    }
}
