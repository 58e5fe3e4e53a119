/// What a file is expected to hold: Service documents (the services directory) or the one Fleet document
/// (`fleet.yaml`).
public enum ManifestFileRole: Hashable, Sendable {
    case services
    case fleet
}

/// One file parsed and checked on its own: its documents, each checked for the shape every document must
/// have, before fleet defaults are applied and before checks that span files. It depends only on the
/// file's path and contents, so it is reused for as long as the blob id stays the same.
public struct ParsedManifest: Sendable {
    public let path: String
    public let blobID: String?
    public let role: ManifestFileRole
    /// Problems found in the file by itself.
    public private(set) var issues: [ManifestIssue] = []
    private(set) var services: [ServiceDocument] = []
    private(set) var fleet: FleetDocument? = nil

    /// The names of the services the file defines, in file order.
    public var serviceNames: [String] { services.compactMap(\.name) }
    /// `spec.recipients` of a Fleet document: the age recipients (`age1…`) secrets are sealed for.
    public var secretRecipients: [String] { fleet?.recipients ?? [] }
}

/// A Service document whose header checked out; its `spec` still needs the fleet defaults.
struct ServiceDocument: Sendable {
    /// nil when the name is missing or invalid (already reported).
    var name: String?
    var nameLocation: SourceLocation
    var labels: [String: String]
    var spec: YAMLNode?
}

struct FleetDocument: Sendable {
    var name: String?
    /// `spec.defaults`, a mapping of Service spec fields.
    var defaults: YAMLNode?
    /// `spec.recipients`: age recipients (`age1…`), checked for their form only.
    var recipients: [String] = []
}

extension ParsedManifest {
    static let apiVersion = "gitfleet/v1"

    init(file: ManifestFile, role: ManifestFileRole, limits: ManifestLimits) {
        path = file.path
        blobID = file.blobID
        self.role = role
        guard file.contents.count <= limits.maxFileSize else {
            issues = [.fileTooLarge(path: file.path, size: file.contents.count, limit: limits.maxFileSize)]
            return
        }
        var reader = NodeReader(file: file.path, defaultsFile: nil, limits: limits)
        defer { issues = reader.issues }
        let (documents, failure) = YAMLComposer(limits: limits, isDefaultsFile: role == .fleet).compose(file.contents)
        if let failure {
            reader.issues.append(
                ManifestIssue(
                    location: SourceLocation(file: file.path, line: failure.line, column: failure.column),
                    fieldPath: "",
                    message: failure.message, expected: failure.expected))
        }
        if documents.isEmpty && failure == nil {
            let what = role == .fleet ? "a Fleet document" : "at least one Service document"
            reader.issues.append(
                ManifestIssue(
                    location: SourceLocation(file: file.path), fieldPath: "", message: "the file is empty",
                    expected: what))
        }
        for document in documents {
            guard let root = document.root else {
                reader.issues.append(
                    ManifestIssue(
                        location: document.mark.location(file: file.path, defaultsFile: nil), fieldPath: "",
                        message: "the document is empty", expected: "a Service or Fleet document"))
                continue
            }
            switch role {
            case .services:
                if let service = reader.serviceDocument(root) { services.append(service) }
            case .fleet:
                if fleet != nil {
                    reader.report(root, "", "fleet.yaml holds more than one document", expected: "one Fleet document")
                    continue
                }
                fleet = reader.fleetDocument(root)
            }
        }
    }
}

extension NodeReader {
    /// Checks `apiVersion`, `kind` and `metadata`, returning the fields for the caller to read `spec` from.
    mutating func header(
        _ root: YAMLNode, kind expectedKind: String
    ) -> (
        fields: [String: (key: YAMLNode, value: YAMLNode)], name: String?, nameLocation: SourceLocation,
        labels: [String: String]
    )? {
        let known = ["apiVersion", "kind", "metadata", "spec"]
        guard
            let fields = fields(root, "", known: known, expected: "a mapping with apiVersion, kind, metadata and spec")
        else { return nil }
        if let node = fields["apiVersion"]?.value {
            if let version = string(node, "apiVersion"), version != ParsedManifest.apiVersion {
                report(node, "apiVersion", "unsupported apiVersion '\(version)'", expected: ParsedManifest.apiVersion)
            }
        } else {
            report(
                root, "apiVersion", "the required field 'apiVersion' is missing", expected: ParsedManifest.apiVersion)
        }
        if let node = fields["kind"]?.value {
            if let kind = string(node, "kind"), kind != expectedKind {
                let message =
                    ["Service", "Fleet"].contains(kind)
                    ? "a \(kind) document does not belong in this file" : "unknown kind '\(kind)'"
                report(node, "kind", message, expected: expectedKind)
            }
        } else {
            report(root, "kind", "the required field 'kind' is missing", expected: expectedKind)
        }
        var name: String? = nil
        var nameLocation = location(root)
        var labels: [String: String] = [:]
        if let metadata = fields["metadata"]?.value {
            if let meta = self.fields(
                metadata, "metadata", known: ["name", "labels"], expected: "a mapping with name and labels")
            {
                if let node = meta["name"]?.value {
                    nameLocation = location(node)
                    if let text = string(node, "metadata.name", expected: "a name") {
                        if NodeReader.isDNSLabel(text) {
                            name = text
                        } else {
                            report(
                                node, "metadata.name", "'\(text)' is not a valid name",
                                expected: NodeReader.dnsLabelRule)
                        }
                    }
                } else {
                    report(
                        metadata, "metadata.name", "the required field 'name' is missing",
                        expected: NodeReader.dnsLabelRule)
                }
                if let node = meta["labels"]?.value { labels = self.labels(node, "metadata.labels") }
            }
        } else {
            report(root, "metadata", "the required field 'metadata' is missing", expected: "a mapping with name")
        }
        return (fields, name, nameLocation, labels)
    }

    mutating func serviceDocument(_ root: YAMLNode) -> ServiceDocument? {
        guard let header = header(root, kind: "Service") else { return nil }
        var spec: YAMLNode? = nil
        if let node = header.fields["spec"]?.value {
            if case .mapping = node {
                spec = node
            } else {
                report(node, "spec", "found \(node.kindDescription)", expected: "a mapping of service fields")
            }
        } else {
            report(root, "spec", "the required field 'spec' is missing", expected: "a mapping with at least image")
        }
        return ServiceDocument(name: header.name, nameLocation: header.nameLocation, labels: header.labels, spec: spec)
    }

    mutating func fleetDocument(_ root: YAMLNode) -> FleetDocument? {
        guard let header = header(root, kind: "Fleet") else { return nil }
        var document = FleetDocument(name: header.name)
        if let node = header.fields["spec"]?.value,
            let spec = fields(
                node, "spec", known: ["defaults", "recipients"], expected: "a mapping with defaults and recipients")
        {
            if let recipients = spec["recipients"]?.value {
                document.recipients = self.recipients(recipients, "spec.recipients")
            }
            if let defaults = spec["defaults"]?.value {
                if case .mapping = defaults {
                    document.defaults = defaults
                } else {
                    report(
                        defaults, "spec.defaults", "found \(defaults.kindDescription)",
                        expected: "a mapping of service fields")
                }
            }
        }
        return document
    }

    /// age X25519 recipients; their encoding is checked where they are used (`gitfleet secret seal`).
    mutating func recipients(_ node: YAMLNode, _ path: String) -> [String] {
        let expected = "a list of age recipients such as age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
        guard let list = stringList(node, path) else { return [] }
        var result: [String] = []
        for (index, recipient) in list.enumerated() {
            guard recipient.hasPrefix("age1"), recipient.utf8.count > 4, recipient == recipient.lowercased() else {
                if case .sequence(let items, _) = node, index < items.count {
                    report(
                        items[index], "\(path)[\(index)]", "'\(recipient)' is not an age recipient", expected: expected)
                }
                continue
            }
            result.append(recipient)
        }
        return result
    }

    mutating func labels(_ node: YAMLNode, _ path: String) -> [String: String] {
        var result: [String: String] = [:]
        for entry in entries(node, path, expected: "a mapping of label names to string values") ?? [] {
            let field = NodeReader.join(path, entry.name)
            let valid =
                !entry.name.isEmpty && entry.name.utf8.count <= 63
                && entry.name.utf8.allSatisfy {
                    (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
                        || [UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/")].contains($0)
                }
            guard valid else {
                report(
                    entry.key, field, "'\(entry.name)' is not a valid label name",
                    expected: "at most 63 letters, digits, '-', '_', '.' or '/'")
                continue
            }
            if let value = strictString(entry.value, field, what: "the label value") { result[entry.name] = value }
        }
        return result
    }
}
