import FleetModel

/// The live footprint of one service, reduced to what the planner decides on: how many live
/// instances run each spec hash and each image. Non-live instances (stopped, failed, quarantined)
/// are left out, because they neither serve nor take capacity.
///
/// Counts are kept as a short list of (spec hash, image, count), one per distinct pair: a service
/// runs one or two specs at a time, so scanning the list is cheaper than keeping dictionaries, and a
/// plan builds one of these per service.
struct ObservedService: Sendable {
    private(set) var entries: [(specHash: SpecHash, image: String, count: Int)] = []

    var liveCount: Int { entries.reduce(0) { $0 + $1.count } }

    mutating func add(specHash: SpecHash, image: String, count: Int) {
        if let index = entries.firstIndex(where: { $0.specHash == specHash && $0.image == image }) {
            entries[index].count += count
        } else {
            entries.append((specHash, image, count))
        }
    }

    /// Live instances on `hash`.
    func instances(on hash: SpecHash) -> Int {
        entries.reduce(0) { $0 + ($1.specHash == hash ? $1.count : 0) }
    }

    /// Groups the live records by service name.
    ///
    /// Registries list an instance's siblings together, mostly on one spec and image, so records are
    /// counted in runs of the same (service, spec hash, image) and each run is added once: the counts
    /// are the same in any order, but a fleet of 100,000 instances costs a few thousand updates
    /// instead of several hundred thousand.
    static func grouping(_ records: [InstanceRecord]) -> [String: ObservedService] {
        var services: [String: ObservedService] = [:]
        var run: (service: String, specHash: SpecHash, image: String, count: Int)? = nil
        for record in records where record.state.isLive {
            if let current = run, current.service == record.service, current.specHash == record.specHash,
                current.image == record.image
            {
                run!.count += 1
                continue
            }
            if let run {
                services[run.service, default: ObservedService()].add(
                    specHash: run.specHash, image: run.image, count: run.count)
            }
            run = (record.service, record.specHash, record.image, 1)
        }
        if let run {
            services[run.service, default: ObservedService()].add(
                specHash: run.specHash, image: run.image, count: run.count)
        }
        return services
    }

    /// The image most live instances run; ties go to the lexicographically smallest, so that the
    /// answer never depends on the order the records came in.
    var mostCommonImage: String? {
        Self.mostCommon(entries.map { ($0.image, $0.count) })
    }

    /// The image most live instances run among those not on `excluded`: what a replacement replaces.
    func mostCommonImage(excluding excluded: SpecHash) -> String? {
        Self.mostCommon(entries.filter { $0.specHash != excluded }.map { ($0.image, $0.count) })
    }

    /// The spec hash most live instances run, leaving out `excluded`; ties as for images.
    func mostCommonSpecHash(excluding excluded: SpecHash? = nil) -> SpecHash? {
        Self.mostCommon(entries.filter { $0.specHash != excluded }.map { ($0.specHash, $0.count) })
    }

    /// The key with the highest total count over `counts` (a key may repeat); ties to the smallest key.
    private static func mostCommon<Key: Comparable>(_ counts: [(Key, Int)]) -> Key? {
        var totals: [(key: Key, value: Int)] = []
        for (key, count) in counts {
            if let index = totals.firstIndex(where: { $0.key == key }) {
                totals[index].value += count
            } else {
                totals.append((key, count))
            }
        }
        return totals.min { lhs, rhs in
            lhs.value != rhs.value ? lhs.value > rhs.value : lhs.key < rhs.key
        }?.key
    }
}
