import FleetModel

/// What discovery publishes: per service, the endpoints clients may reach, derived only from
/// ``InstanceRecord/isPublished`` records (and, for a canary, the traffic weight of its step), less those the
/// converger withholds because their readiness check fails.
///
/// It is a pure function of what the registry holds and of that withheld set, so a restarted controller renders
/// the outputs the last one did, but for instances it has not yet found unready again. Every output (the HTTP endpoint, nginx and HAProxy files, user
/// templates) is rendered from one value of this type, so they never disagree.
public struct ServingSet: Hashable, Sendable, Codable {
    /// One published instance.
    public struct Endpoint: Hashable, Sendable, Codable {
        public var instance: String
        public var address: String
        /// The named ports the instance listens on.
        public var ports: [String: Int]
        public var specHash: String
        public var image: String
        /// The relative share of traffic (nginx `weight=`, HAProxy `weight`); 1 unless a canary splits traffic.
        public var weight: Int

        public init(
            instance: String, address: String, ports: [String: Int], specHash: String, image: String, weight: Int = 1
        ) {
            self.instance = instance
            self.address = address
            self.ports = ports
            self.specHash = specHash
            self.image = image
            self.weight = weight
        }
    }

    /// Every desired service and every service with a live instance, by name; a service whose instances are
    /// all starting (or that has none yet) has no endpoint.
    public var services: [String: [Endpoint]]

    public init(services: [String: [Endpoint]] = [:]) {
        self.services = services
    }

    /// A canary's share of traffic: `percent` to the instances of `target`, the rest to the others.
    public struct TrafficSplit: Hashable, Sendable {
        public var target: SpecHash
        public var percent: Int

        public init(target: SpecHash, percent: Int) {
            self.target = target
            self.percent = percent
        }
    }

    /// The serving set of `records`. A service with a split gets per-instance weights that give the
    /// target's instances `percent` of its traffic together, whatever the instance counts; without
    /// one (or once only one side serves) every instance weighs 1. Each of `services` (the desired ones) is
    /// in the set even with no record, so an output has its block before the first instance serves.
    ///
    /// `withheld` are published records left out all the same: serving instances failing their readiness check
    /// (the converger's soft state, which a standby mirroring the registry does not know).
    public init(
        records: [InstanceRecord], splits: [String: TrafficSplit] = [:], services declared: Set<String> = [],
        withheld: Set<String> = []
    ) {
        func isPublished(_ record: InstanceRecord) -> Bool { record.isPublished && !withheld.contains(record.id) }
        var weights: [String: [SpecHash: Int]] = [:]
        for (service, split) in splits where split.percent > 0 && split.percent < 100 {
            let published = records.filter { $0.service == service && isPublished($0) }
            let target = published.filter { $0.specHash == split.target }.count
            let others = published.count - target
            guard target > 0, others > 0 else { continue }
            let targetWeight = split.percent * others
            let otherWeight = (100 - split.percent) * target
            let divisor = Self.gcd(targetWeight, otherWeight)
            var byHash: [SpecHash: Int] = [:]
            for record in published {
                byHash[record.specHash] = (record.specHash == split.target ? targetWeight : otherWeight) / divisor
            }
            weights[service] = byHash
        }
        var services: [String: [Endpoint]] = Dictionary(uniqueKeysWithValues: declared.map { ($0, []) })
        for record in records where record.state.isLive && services[record.service] == nil {
            services[record.service] = []
        }
        for record in records where isPublished(record) {
            guard let address = record.address else { continue }
            services[record.service, default: []].append(
                Endpoint(
                    instance: record.id, address: address, ports: record.ports, specHash: record.specHash.rawValue,
                    image: record.image, weight: weights[record.service]?[record.specHash] ?? 1))
        }
        self.services = services.mapValues { $0.sorted { $0.instance < $1.instance } }
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? max(a, 1) : gcd(b, a % b) }

    /// Service names in a stable order, for rendering.
    public var names: [String] { services.keys.sorted() }
}
