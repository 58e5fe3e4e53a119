/// Checks that span files: every service name defined once, and `dependsOn` naming existing services
/// without cycles.
struct DependencyCheck {
    struct Service {
        /// nil when the name is missing or invalid (reported where it was read); its `dependsOn` is still checked,
        /// so that one run reports every issue.
        var name: String?
        var location: SourceLocation
        var dependsOn: [(name: String, location: SourceLocation)]
    }

    /// `services` in repository order (files by path, documents in file order).
    static func issues(for services: [Service]) -> [ManifestIssue] {
        var issues: [ManifestIssue] = []
        var first: [String: Int] = [:]
        var unique: [Service] = []
        var unnamed: [Service] = []
        for service in services {
            guard let name = service.name else {
                unnamed.append(service)
                continue
            }
            if let index = first[name] {
                issues.append(
                    ManifestIssue(
                        location: service.location, fieldPath: "metadata.name",
                        message: "service '\(name)' is already defined at \(unique[index].location)",
                        expected: "each service name once in the fleet"))
                continue
            }
            first[name] = unique.count
            unique.append(service)
        }
        let names = unique.compactMap(\.name)
        // Edges that point at a known service other than the service itself; the rest are reported here.
        var edges: [[(target: Int, location: SourceLocation, field: String)]] = Array(
            repeating: [], count: unique.count)
        for (index, service) in unique.enumerated() {
            for (position, dependency) in service.dependsOn.enumerated() {
                let field = "spec.dependsOn[\(position)]"
                if dependency.name == service.name {
                    issues.append(
                        ManifestIssue(
                            location: dependency.location, fieldPath: field,
                            message: "service '\(dependency.name)' depends on itself",
                            expected: "names of other services"))
                } else if let target = first[dependency.name] {
                    edges[index].append((target, dependency.location, field))
                } else {
                    issues.append(unknown(dependency, field: field, names: names))
                }
            }
        }
        // No service can name one without a valid name, so it is in no cycle; its own dependencies must exist.
        for service in unnamed {
            for (position, dependency) in service.dependsOn.enumerated() where first[dependency.name] == nil {
                issues.append(unknown(dependency, field: "spec.dependsOn[\(position)]", names: names))
            }
        }
        issues += cycles(names: names, edges: edges)
        return issues
    }

    private static func unknown(
        _ dependency: (name: String, location: SourceLocation), field: String, names: [String]
    ) -> ManifestIssue {
        var message = "depends on unknown service '\(dependency.name)'"
        if let suggestion = FieldSuggestion.closest(to: dependency.name, among: names) {
            message += "; did you mean '\(suggestion)'?"
        }
        return ManifestIssue(
            location: dependency.location, fieldPath: field, message: message,
            expected: "the name of a service in the fleet")
    }

    /// One issue per back edge of a depth-first search, at the `dependsOn` entry that closes the cycle.
    /// Iterative, so a long chain of services cannot exhaust the stack.
    private static func cycles(names: [String], edges: [[(target: Int, location: SourceLocation, field: String)]])
        -> [ManifestIssue]
    {
        enum Color {
            case white
            case grey
            case black
        }
        var color = [Color](repeating: .white, count: names.count)
        var issues: [ManifestIssue] = []
        for root in names.indices.sorted(by: { names[$0] < names[$1] }) where color[root] == .white {
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            color[root] = .grey
            while let top = stack.last {
                guard top.next < edges[top.node].count else {
                    color[top.node] = .black
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let edge = edges[top.node][top.next]
                switch color[edge.target] {
                case .white:
                    color[edge.target] = .grey
                    stack.append((edge.target, 0))
                case .grey:
                    let start = stack.firstIndex { $0.node == edge.target } ?? 0
                    let path = stack[start...].map { names[$0.node] } + [names[edge.target]]
                    issues.append(
                        ManifestIssue(
                            location: edge.location, fieldPath: edge.field,
                            message: "dependency cycle: " + path.joined(separator: " → "),
                            expected: "dependencies without cycles"))
                case .black:
                    break
                }
            }
        }
        return issues
    }
}
