/// Where a fleet lives inside its repository: an optional `fleet.yaml` and a directory of service
/// manifests, both under a root folder (the repository root by default).
public struct FleetLayout: Hashable, Sendable {
    /// Folder inside the repository, relative to its root; empty for the root itself.
    public var root: String
    /// Folder of service manifests, relative to `root`.
    public var servicesDirectory: String
    /// The fleet file, relative to `root`.
    public var fleetFile: String

    public init(root: String = "", servicesDirectory: String = "services", fleetFile: String = "fleet.yaml") {
        self.root = FleetLayout.trimmed(root)
        self.servicesDirectory = FleetLayout.trimmed(servicesDirectory)
        self.fleetFile = FleetLayout.trimmed(fleetFile)
    }

    public var servicesPath: String { join(root, servicesDirectory) }
    public var fleetFilePath: String { join(root, fleetFile) }

    /// Whether `path` is a service manifest by its name: YAML, and not hidden.
    static func isManifest(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml"))
    }

    private func join(_ parent: String, _ child: String) -> String {
        parent.isEmpty ? child : child.isEmpty ? parent : "\(parent)/\(child)"
    }

    private static func trimmed(_ path: String) -> String {
        var path = Substring(path)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        while path.hasPrefix("/") { path = path.dropFirst() }
        while path.hasSuffix("/") { path = path.dropLast() }
        return path == "." ? "" : String(path)
    }
}
