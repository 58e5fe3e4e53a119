import FleetModel

extension ServiceAction {
    /// An unchanged service whose live instances are not what Git asks for: the planner held it
    /// back on purpose (a spec that failed before is not retried automatically). People need to
    /// see these even when unchanged services are otherwise summarised away.
    ///
    /// Derived from the counts and hashes alone, so it holds for a plan read back from JSON too.
    public var isHeldBack: Bool {
        kind == .unchanged && (keep != replicas || (keep > 0 && fromSpecHash != toSpecHash))
    }

    /// Live instances before the action: the kept ones plus the ones it destroys.
    public var liveBefore: Int { keep + destroy }
}
