import FleetModel
import FleetPlanner
import FleetRegistry

extension LiveStateDocument {
    /// The document of what a registry snapshot records. `revision` is the commit the controller last
    /// deployed, when a controller is asked.
    ///
    /// The registry keeps a spec only as each service's last good spec, so that is where the applied
    /// specs come from; the pinned digests come from the records' images and those specs.
    public init(_ snapshot: RegistrySnapshot, revision: String? = nil) {
        let states = snapshot.rolloutStates.map(\.record)
        let instances = snapshot.instances.map(\.record)
        var applied: [String: ServiceSpec] = [:]
        for state in states {
            if let hash = state.lastGoodSpecHash, let spec = state.lastGoodSpec { applied[hash.rawValue] = spec }
        }
        self.init(
            revision: revision, registryRevision: snapshot.revision, instances: instances,
            rollouts: states.map { state in
                LiveRollout(
                    service: state.service, phase: state.phase.rawValue, targetSpecHash: state.targetSpecHash,
                    targetRevision: state.targetRevision, lastGoodSpecHash: state.lastGoodSpecHash,
                    lastGoodRevision: state.lastGoodRevision, failedSpecHashes: state.failedSpecHashes.sorted(),
                    message: state.message)
            },
            pinnedImages: Self.pinnedImages(instances: instances, specs: states.compactMap(\.lastGoodSpec)),
            appliedSpecs: applied)
    }
}
