import FleetGit

extension GitRepository {
    /// Whether moving from `lastDeployed` to `new` only adds history: `new` descends from (or is)
    /// `lastDeployed`. False means the tracked branch was rewritten (force-pushed or reset), which the
    /// controller records in the status annotation instead of deploying silently.
    public func isFastForward(from lastDeployed: CommitID, to new: CommitID) throws -> Bool {
        try isAncestor(lastDeployed, of: new)
    }

    /// The note for a status annotation when `new` does not descend from `lastDeployed`; nil for a fast-forward.
    public func historyRewriteNote(from lastDeployed: CommitID, to new: CommitID) throws -> String? {
        guard try !isFastForward(from: lastDeployed, to: new) else { return nil }
        return "history rewritten: \(new.short) does not descend from the last deployed commit \(lastDeployed.short)"
    }
}
