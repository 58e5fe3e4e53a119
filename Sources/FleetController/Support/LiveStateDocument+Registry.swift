import FleetModel
import FleetPlanner
import FleetRegistry

extension LiveStateDocument {
    /// The document of what a registry snapshot records. `revision` is the commit the controller last
    /// deployed, when a controller is asked.
    ///
    /// The applied specs are those the rollout states keep: each service's last good spec, and the specs of
    /// its target and its failed specs (``RolloutState/triedSpecs``), so a plan names the fields it changes
    /// against a rollout in flight or held back too. The pinned digests come from those specs and the
    /// records' images.
    public init(_ snapshot: RegistrySnapshot, revision: String? = nil) {
        let states = snapshot.rolloutStates.map(\.record)
        // Kept output is for `gitfleet logs`, not for planning: the document stays as small as before.
        let instances = snapshot.instances.map { versioned in
            var record = versioned.record
            record.keptOutput = nil
            return record
        }
        // Only the specs a rollout still names: one the state has not yet let go of is no evidence of anything.
        let tried = states.flatMap { state in
            state.triedSpecs.filter { state.failedSpecHashes.union([state.targetSpecHash]).contains(SpecHash($0)) }
        }
        var applied: [String: ServiceSpec] = [:]
        for spec in tried { applied[SpecHash(spec).rawValue] = spec }
        for state in states {
            if let hash = state.lastGoodSpecHash, let spec = state.lastGoodSpec { applied[hash.rawValue] = spec }
        }
        self.init(
            revision: revision, registryRevision: snapshot.revision, instances: instances,
            rollouts: states.map { state in
                var rollout = LiveRollout(
                    service: state.service, phase: state.phase.rawValue, targetSpecHash: state.targetSpecHash,
                    targetRevision: state.targetRevision, lastGoodSpecHash: state.lastGoodSpecHash,
                    lastGoodRevision: state.lastGoodRevision, failedSpecHashes: state.failedSpecHashes.sorted(),
                    message: state.message)
                if let since = state.pausedSince,
                    let target = state.triedSpecs.first(where: { SpecHash($0) == state.targetSpecHash })
                {
                    rollout.gate = Canary.gate(at: state.step, of: target.rollout.steps, since: since)
                }
                return rollout
            },
            // A failed spec's instances are no longer live: its own record keeps the digest its tag was pinned to.
            pinnedImages: Self.pinnedImages(
                instances: instances, specs: states.compactMap(\.lastGoodSpec) + tried),
            appliedSpecs: applied)
    }
}
