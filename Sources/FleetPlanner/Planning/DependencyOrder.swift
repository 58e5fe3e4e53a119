/// Orders services so that each comes after the services it depends on, ties broken by name.
///
/// Kahn's algorithm with a sorted ready set: the result depends only on the names and edges, never
/// on input order. Dependencies on services outside the set are ignored (they are not part of this
/// plan). A cycle is rejected by manifest validation long before this point, but if one slips
/// through the services caught in it are appended in name order rather than looping or crashing.
enum DependencyOrder {
    static func sorted(_ dependencies: [String: [String]]) -> [String] {
        let names = Set(dependencies.keys)
        var waitingOn: [String: Set<String>] = [:]
        var dependents: [String: Set<String>] = [:]
        for (name, needs) in dependencies {
            let needed = Set(needs).intersection(names).subtracting([name])
            waitingOn[name] = needed
            for dependency in needed { dependents[dependency, default: []].insert(name) }
        }
        var ready = names.filter { waitingOn[$0]!.isEmpty }.sorted()
        var order: [String] = []
        order.reserveCapacity(names.count)
        while !ready.isEmpty {
            let next = ready.removeFirst()
            order.append(next)
            for dependent in dependents[next, default: []] {
                waitingOn[dependent]!.remove(next)
                if waitingOn[dependent]!.isEmpty {
                    let position = ready.firstIndex { $0 > dependent } ?? ready.endIndex
                    ready.insert(dependent, at: position)
                }
            }
        }
        if order.count < names.count {
            let placed = Set(order)
            order += names.subtracting(placed).sorted()
        }
        return order
    }
}
