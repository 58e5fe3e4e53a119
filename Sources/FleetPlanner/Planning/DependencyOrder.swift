import FleetModel

/// Orders services so that each comes after the services it depends on, ties broken by name.
///
/// Kahn's algorithm with a min-heap of ready names, O((n + e) log n), so fleets of thousands of
/// services order in milliseconds; the result depends only on the names and edges, never on input
/// order. Dependencies on services outside the set are ignored (they are not part of this plan). A
/// cycle is rejected by manifest validation long before this point, but if one slips through the
/// services caught in it are appended in name order rather than looping or crashing.
public enum DependencyOrder {
    public static func sorted(_ dependencies: [String: [String]]) -> [String] {
        var unmet: [String: Int] = [:]
        var dependents: [String: [String]] = [:]
        unmet.reserveCapacity(dependencies.count)
        for (name, needs) in dependencies {
            guard !needs.isEmpty else {
                unmet[name] = 0
                continue
            }
            let needed = Set(needs.filter { $0 != name && dependencies[$0] != nil })
            unmet[name] = needed.count
            for dependency in needed { dependents[dependency, default: []].append(name) }
        }
        var ready = MinHeap(unmet.filter { $0.value == 0 }.map(\.key))
        var order: [String] = []
        order.reserveCapacity(dependencies.count)
        while let next = ready.pop() {
            order.append(next)
            unmet[next] = nil
            for dependent in dependents[next] ?? [] {
                guard let count = unmet[dependent] else { continue }
                unmet[dependent] = count - 1
                if count == 1 { ready.push(dependent) }
            }
        }
        return order + unmet.keys.sorted()
    }

    /// `services` in dependency order; a repeated name keeps its first spec.
    public static func sorted(_ services: [ServiceSpec]) -> [ServiceSpec] {
        var byName: [String: ServiceSpec] = [:]
        for service in services where byName[service.name] == nil { byName[service.name] = service }
        return sorted(byName.mapValues(\.dependsOn)).compactMap { byName[$0] }
    }
}

/// A binary min-heap of strings.
struct MinHeap {
    private var items: [String]

    /// A sorted array already satisfies the heap property.
    init(_ items: [String]) {
        self.items = items.sorted()
    }

    mutating func push(_ item: String) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> String? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
