import FleetModel

/// The live footprint of one service, reduced to what the planner decides on: how many live
/// instances run each spec hash and each image. Non-live instances (stopped, failed, quarantined)
/// are left out, because they neither serve nor take capacity.
struct ObservedService: Sendable {
    var instancesBySpecHash: [SpecHash: Int] = [:]
    var instancesByImage: [String: Int] = [:]
    var imagesBySpecHash: [SpecHash: [String: Int]] = [:]

    var liveCount: Int { instancesBySpecHash.values.reduce(0, +) }

    mutating func add(specHash: SpecHash, image: String, count: Int) {
        instancesBySpecHash[specHash, default: 0] += count
        instancesByImage[image, default: 0] += count
        imagesBySpecHash[specHash, default: [:]][image, default: 0] += count
    }

    /// Groups the live records by service name.
    ///
    /// Registries list an instance's siblings together, mostly on one spec and image, so records are
    /// counted in runs of the same (service, spec hash, image) and each run is added once: the counts
    /// are the same in any order, but a fleet of 100,000 instances costs a few thousand dictionary
    /// updates instead of several hundred thousand.
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
    var mostCommonImage: String? { Self.mostCommon(instancesByImage) }

    /// The image most live instances run among those not on `excluded`: what a replacement replaces.
    func mostCommonImage(excluding excluded: SpecHash) -> String? {
        var counts: [String: Int] = [:]
        for (hash, images) in imagesBySpecHash where hash != excluded {
            counts.merge(images, uniquingKeysWith: +)
        }
        return Self.mostCommon(counts)
    }

    /// The spec hash most live instances run, leaving out `excluded`; ties as for images.
    func mostCommonSpecHash(excluding excluded: SpecHash? = nil) -> SpecHash? {
        Self.mostCommon(instancesBySpecHash.filter { $0.key != excluded })
    }

    private static func mostCommon<Key: Comparable>(_ counts: [Key: Int]) -> Key? {
        counts.min { lhs, rhs in
            lhs.value != rhs.value ? lhs.value > rhs.value : lhs.key < rhs.key
        }?.key
    }
}
