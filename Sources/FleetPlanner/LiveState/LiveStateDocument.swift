import FleetModel
import Foundation

/// The live fleet as one versioned JSON document (docs/live-state.md): what `gitfleet status --json`
/// prints, what `GET /api/v1/live` serves and what `gitfleet plan --live FILE` and `plan --server URL`
/// plan against. Writer and reader share this type so the two cannot drift apart.
///
/// It carries what a planner elsewhere (a CI checkout without the image store or the registry) needs
/// to plan exactly as the controller would: the instance records, the failed specs that are held back,
/// the digests the controller pinned each image tag to, and the applied spec of each live spec hash.
public struct LiveStateDocument: Hashable, Sendable, Codable {
    /// The format's version; a reader refuses a version it does not know rather than misread it.
    public static let currentVersion = 1

    public var version: Int
    /// The commit the controller last deployed (converged on or is rolling out); nil when the document
    /// was read straight from a registry with no controller behind it.
    public var revision: String?
    /// The registry revision the records were read at.
    public var registryRevision: Int64?
    /// Every instance record, ordered by `createdAt`, then `id`.
    public var instances: [InstanceRecord]
    /// One per service the controller has rolled out, ordered by service.
    public var rollouts: [LiveRollout]
    /// `repository:tag` → the content digest the controller pinned that tag to (`sha256:…`). A planner
    /// pins the desired state's tags with these, so an unchanged commit keeps its spec hashes.
    public var pinnedImages: [String: String]
    /// Spec hash → the spec the controller applied for it, image pinned; for the spec hashes whose spec
    /// the registry keeps (each service's last good spec).
    public var appliedSpecs: [String: ServiceSpec]
    /// The runtime scope the records speak for (docs/configuration.md, `runtimeScope`), so `status` tells two
    /// fleets on one host apart whether it read the registry or asked the controller. Added within version 1:
    /// absent from documents written before it, and from those written with no scope at hand.
    public var runtimeScope: String?

    public init(
        revision: String? = nil, registryRevision: Int64? = nil, instances: [InstanceRecord],
        rollouts: [LiveRollout] = [], pinnedImages: [String: String] = [:], appliedSpecs: [String: ServiceSpec] = [:],
        runtimeScope: String? = nil
    ) {
        self.version = Self.currentVersion
        self.revision = revision
        self.registryRevision = registryRevision
        self.instances = instances
        self.rollouts = rollouts
        self.pinnedImages = pinnedImages
        self.appliedSpecs = appliedSpecs
        self.runtimeScope = runtimeScope
    }

    /// The digests recorded by live instances and last good specs, newest instance first, so a tag
    /// that moved during a rollout pins to what the controller resolved last.
    public static func pinnedImages(instances: [InstanceRecord], specs: [ServiceSpec]) -> [String: String] {
        var pinned: [String: String] = [:]
        for spec in specs {
            if let tag = spec.image.tag, let digest = spec.image.digest {
                pinned["\(spec.image.repository):\(tag)"] = digest
            }
        }
        for record in instances.filter(\.state.isLive).sorted(by: { $0.createdAt < $1.createdAt }) {
            var problem: String?
            guard let image = ImageReference(parsing: record.image, problem: &problem),
                let tag = image.tag, let digest = image.digest
            else { continue }
            pinned["\(image.repository):\(tag)"] = digest
        }
        return pinned
    }

    /// The fleet with every image that names a tag and no digest pinned to the digest the controller
    /// recorded for that tag; images the controller never pinned are left as they are.
    public func pinning(_ fleet: Fleet) -> Fleet {
        var pinned = fleet
        for index in pinned.services.indices {
            let image = pinned.services[index].image
            guard image.digest == nil, let tag = image.tag, let digest = pinnedImages["\(image.repository):\(tag)"]
            else { continue }
            pinned.services[index].image = image.pinned(to: digest)
        }
        return pinned
    }

    /// The fleet with each secret that was read without the controller's identity (a digest-less reference,
    /// as `plan` in CI reads it) given the digest the controller recorded for the same sealed file: an
    /// unchanged file then plans as unchanged, and only a re-sealed one shows as `secret NAME changed`.
    public func withSecretDigests(_ fleet: Fleet) -> Fleet {
        var digests: [String: String] = [:]
        for spec in appliedSpecs.values {
            for reference in spec.secretReferences {
                if let object = reference.object, let digest = reference.digest {
                    digests["\(reference.name) \(object)"] = digest
                }
            }
        }
        guard !digests.isEmpty else { return fleet }
        var resolved = fleet
        for index in resolved.services.indices {
            resolved.services[index].updateSecretReferences { reference in
                guard reference.digest == nil, let object = reference.object else { return }
                reference.digest = digests["\(reference.name) \(object)"]
            }
        }
        return resolved
    }

    /// The held-back specs per service, as the planner's policy wants them.
    public var policy: PlanPolicy {
        var policy = PlanPolicy()
        for rollout in rollouts where !rollout.failedSpecHashes.isEmpty {
            policy.failedSpecHashes[rollout.service] = Set(rollout.failedSpecHashes)
        }
        return policy
    }
}

/// Where one service's rollout stands, as the live-state document tells it.
public struct LiveRollout: Hashable, Sendable, Codable {
    public var service: String
    /// `idle`, `progressing`, `paused`, `rollingBack`, `rolledBack` or `failed`.
    public var phase: String
    public var targetSpecHash: SpecHash
    public var targetRevision: String?
    public var lastGoodSpecHash: SpecHash?
    public var lastGoodRevision: String?
    /// Specs that failed and are held back until the spec changes or a retry is asked for; sorted.
    public var failedSpecHashes: [SpecHash]
    public var message: String?
    /// The canary gate the rollout waits at (phase `paused`); absent otherwise.
    public var gate: CanaryGate?

    public init(
        service: String, phase: String, targetSpecHash: SpecHash, targetRevision: String? = nil,
        lastGoodSpecHash: SpecHash? = nil, lastGoodRevision: String? = nil, failedSpecHashes: [SpecHash] = [],
        message: String? = nil
    ) {
        self.service = service
        self.phase = phase
        self.targetSpecHash = targetSpecHash
        self.targetRevision = targetRevision
        self.lastGoodSpecHash = lastGoodSpecHash
        self.lastGoodRevision = lastGoodRevision
        self.failedSpecHashes = failedSpecHashes
        self.message = message
    }
}
