import FleetModel

/// The live footprint of one service, reduced to what the planner decides on: how many live
/// instances run each spec hash and each image. Non-live instances (stopped, failed, quarantined)
/// are left out, because they neither serve nor take capacity.
struct ObservedService: Sendable {
    var instancesBySpecHash: [SpecHash: Int] = [:]
    var instancesByImage: [String: Int] = [:]
    var imagesBySpecHash: [SpecHash: [String: Int]] = [:]

    var liveCount: Int { instancesBySpecHash.values.reduce(0, +) }

    mutating func add(_ record: InstanceRecord) {
        instancesBySpecHash[record.specHash, default: 0] += 1
        instancesByImage[record.image, default: 0] += 1
        imagesBySpecHash[record.specHash, default: [:]][record.image, default: 0] += 1
    }

    /// Groups the live records by service name.
    static func grouping(_ records: [InstanceRecord]) -> [String: ObservedService] {
        var services: [String: ObservedService] = [:]
        for record in records where record.state.isLive {
            services[record.service, default: ObservedService()].add(record)
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
