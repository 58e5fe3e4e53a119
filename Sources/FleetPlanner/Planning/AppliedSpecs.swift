import FleetModel

/// Specs known to have run, found by service and spec hash: what a replacement's outgoing spec was.
///
/// Keyed by both because a spec hash covers only what shapes an instance: two services can share
/// one, and their rollout and drain settings still differ. Each spec is filed under its own hash,
/// so a lookup can only ever answer with exactly the spec that hash was computed from.
struct AppliedSpecs: Sendable {
    private var specs: [String: [SpecHash: ServiceSpec]] = [:]

    init(_ specs: [ServiceSpec] = []) {
        for spec in specs { self.specs[spec.name, default: [:]][SpecHash(spec)] = spec }
    }

    func spec(of service: String, hash: SpecHash) -> ServiceSpec? {
        specs[service]?[hash]
    }
}
