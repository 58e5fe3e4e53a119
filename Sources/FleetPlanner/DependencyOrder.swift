import FleetModel

/// The order services are acted on: every service after the services it depends on, ties broken by
/// name, so the order is the same on every run.
///
/// Kahn's algorithm with a min-heap of ready names: O((n + e) log n), which matters for fleets of
/// thousands of services. Cycles are rejected when manifests are validated; should one get here all
/// the same, the services on it follow the others in name order rather than being lost or looping.
public enum DependencyOrder {
    public static func sorted(_ services: [ServiceSpec]) -> [ServiceSpec] {
        var byName: [String: ServiceSpec] = [:]
        for service in services where byName[service.name] == nil { byName[service.name] = service }

        var unmet: [String: Int] = [:]
        var dependents: [String: [String]] = [:]
        for service in byName.values {
            let dependencies = Set(service.dependsOn.filter { byName[$0] != nil && $0 != service.name })
            unmet[service.name] = dependencies.count
            for dependency in dependencies { dependents[dependency, default: []].append(service.name) }
        }

        var ready = MinHeap(unmet.filter { $0.value == 0 }.map(\.key))
        var order: [ServiceSpec] = []
        order.reserveCapacity(byName.count)
        while let next = ready.pop() {
            order.append(byName[next]!)
            unmet[next] = nil
            for dependent in dependents[next] ?? [] {
                guard let count = unmet[dependent] else { continue }
                unmet[dependent] = count - 1
                if count == 1 { ready.push(dependent) }
            }
        }
        order += unmet.keys.sorted().compactMap { byName[$0] }
        return order
    }
}

/// A binary min-heap of strings.
struct MinHeap {
    private var items: [String] = []

    init(_ items: [String]) {
        self.items = items.sorted()  // a sorted array is already a valid heap
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
