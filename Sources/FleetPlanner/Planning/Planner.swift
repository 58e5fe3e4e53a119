import FleetModel

/// Computes what it takes to move the live fleet to the desired one.
///
/// `plan` is a pure function: it reads nothing but its arguments, and the same arguments, in any
/// order, give the same plan (and so byte-identical JSON). That is what makes `gitfleet plan` in CI
/// trustworthy and the reconcile loop level-triggered: the controller can recompute the plan from
/// observed state at any moment, after a crash or not, and get the same answer.
public enum Planner {
    /// One action per desired service, dependencies first and ties by name, followed by a removal
    /// for every service that still has live instances but is no longer desired, by name.
    ///
    /// Only live instances (``InstanceState/isLive``) count. Service names are expected to be unique
    /// (manifest validation rejects duplicates); if one repeats, the first spec wins.
    ///
    /// `appliedSpecs` are specs known to have run (the last good spec of each service, the live-state
    /// document's specs): a replacement whose outgoing spec is among them lists what changed, field by
    /// field (``SpecDiff``); one whose outgoing spec is unknown says only that the spec changed. They
    /// are matched by service name and by their own hash, so a spec is never compared against one
    /// that is not what runs.
    public static func plan(
        desired: Fleet, observed: [InstanceRecord], appliedSpecs: [ServiceSpec] = [], policy: PlanPolicy = .init()
    ) -> Plan {
        let live = ObservedService.grouping(observed)
        let applied = AppliedSpecs(appliedSpecs)
        var specs: [String: ServiceSpec] = [:]
        specs.reserveCapacity(desired.services.count)
        for spec in desired.services where specs[spec.name] == nil {
            specs[spec.name] = spec
        }
        var actions = DependencyOrder.sorted(specs.mapValues(\.dependsOn)).map { name in
            action(for: specs[name]!, observed: live[name] ?? ObservedService(), applied: applied, policy: policy)
        }
        for name in live.keys.sorted() where specs[name] == nil {
            actions.append(removal(of: name, observed: live[name]!))
        }
        return Plan(fleet: desired.name, revision: desired.revision, actions: actions)
    }

    static func action(
        for spec: ServiceSpec, observed: ObservedService, applied: AppliedSpecs = AppliedSpecs(), policy: PlanPolicy
    ) -> ServiceAction {
        let hash = SpecHash(spec)
        let toImage = spec.image.description
        let replicas = max(spec.replicas, 0)
        let liveCount = observed.liveCount
        let current = observed.instances(on: hash)
        let outgoing = liveCount - current

        if policy.holdsBack(service: spec.name, hash: hash) {
            return ServiceAction(
                service: spec.name, kind: .unchanged, fromImage: observed.mostCommonImage, toImage: toImage,
                fromSpecHash: observed.mostCommonSpecHash(), toSpecHash: hash, replicas: replicas, keep: liveCount,
                reason: "spec \(hash.short) failed before; not retried until the spec changes or a retry is asked for")
        }

        if liveCount == 0 {
            guard replicas > 0 else {
                return ServiceAction(
                    service: spec.name, kind: .unchanged, toImage: toImage, toSpecHash: hash, replicas: 0,
                    reason: "replicas 0: nothing to run")
            }
            return ServiceAction(
                service: spec.name, kind: .create, toImage: toImage, toSpecHash: hash, replicas: replicas,
                create: replicas, reason: "not running; start \(instances(replicas))")
        }

        if outgoing > 0 {
            let keep = min(current, replicas)
            let fromImage = observed.mostCommonImage(excluding: hash)
            let fromSpecHash = observed.mostCommonSpecHash(excluding: hash)
            let changes = fromSpecHash.flatMap { applied.spec(of: spec.name, hash: $0) }.map {
                SpecDiff(old: $0, new: spec).changes
            }
            var reason =
                if let fromImage, imageDiffers(fromImage, spec.image) {
                    "image \(fromImage) → \(toImage)"
                } else if let changes, !changes.isEmpty {
                    "\(changes.map(\.name).joined(separator: ", ")) changed"
                } else {
                    "spec changed"
                }
            if current > 0 {
                reason += " (\(keep) of \(replicas) already on the new spec)"
            } else if liveCount != replicas {
                reason += ", replicas \(liveCount) → \(replicas)"
            }
            return ServiceAction(
                service: spec.name, kind: .replace, fromImage: fromImage, toImage: toImage,
                fromSpecHash: fromSpecHash, toSpecHash: hash, replicas: replicas,
                create: replicas - keep, destroy: outgoing + max(current - replicas, 0), keep: keep, reason: reason,
                changes: changes)
        }

        let fromImage = observed.mostCommonImage
        if current < replicas {
            return ServiceAction(
                service: spec.name, kind: .scaleUp, fromImage: fromImage, toImage: toImage, fromSpecHash: hash,
                toSpecHash: hash, replicas: replicas, create: replicas - current, keep: current,
                reason: "replicas \(current) → \(replicas)")
        }
        if current > replicas {
            return ServiceAction(
                service: spec.name, kind: .scaleDown, fromImage: fromImage, toImage: toImage, fromSpecHash: hash,
                toSpecHash: hash, replicas: replicas, destroy: current - replicas, keep: replicas,
                reason: "replicas \(current) → \(replicas)")
        }
        return ServiceAction(
            service: spec.name, kind: .unchanged, fromImage: fromImage, toImage: toImage, fromSpecHash: hash,
            toSpecHash: hash, replicas: replicas, keep: current, reason: "\(instances(replicas)) on the desired spec")
    }

    static func removal(of service: String, observed: ObservedService) -> ServiceAction {
        ServiceAction(
            service: service, kind: .remove, fromImage: observed.mostCommonImage,
            fromSpecHash: observed.mostCommonSpecHash(), replicas: 0, destroy: observed.liveCount,
            reason: "no longer in Git")
    }

    /// Whether the image an instance runs is a different image from the desired one, as people see it.
    ///
    /// Running instances record the image pinned to a digest, while the desired image may be a bare
    /// tag, so `shop/web:1.5.0@sha256:…` and `shop/web:1.5.0` are the same image; two digests that
    /// differ are different images even under one tag (the tag moved).
    static func imageDiffers(_ running: String, _ desired: ImageReference) -> Bool {
        var problem: String? = nil
        guard let runningImage = ImageReference(parsing: running, problem: &problem) else {
            return running != desired.description
        }
        if runningImage.repository != desired.repository { return true }
        if let runningDigest = runningImage.digest, let desiredDigest = desired.digest {
            return runningDigest != desiredDigest
        }
        if runningImage.tag != nil, desired.tag != nil { return runningImage.tag != desired.tag }
        return false
    }

    static func instances(_ count: Int) -> String {
        count == 1 ? "1 instance" : "\(count) instances"
    }
}
