import CLibgit2

extension GitRepository {
    /// The commits reachable from `head` that descend from `ancestor` (`ancestor` itself excluded), parents
    /// before children, so the first is the nearest descendant. Empty when `ancestor` is not an ancestor of `head`.
    ///
    /// One walk from `head` that stops at `ancestor`'s history, then one pass in that order: a commit descends
    /// from `ancestor` when one of its parents is `ancestor` or descends from it. A merge that brought in a
    /// side branch which never met `ancestor` is walked but not returned. Asking `git_graph_descendant_of` of
    /// every walked commit instead would walk the history once per commit.
    public func descendants(of ancestor: CommitID, upTo head: CommitID) throws -> [CommitID] {
        let operation = "list the descendants of \(ancestor.short) up to \(head.short)"
        guard ancestor != head, try isAncestor(ancestor, of: head) else { return [] }
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, handle), operation)
        defer { git_revwalk_free(walk) }
        try check(git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue), operation)
        var headOID = head.oid
        try check(git_revwalk_push(walk, &headOID), operation)
        var ancestorOID = ancestor.oid
        try check(git_revwalk_hide(walk, &ancestorOID), operation)
        var found: [CommitID] = []
        var descending: Set<CommitID> = [ancestor]
        var oid = git_oid()
        while true {
            let result = git_revwalk_next(&oid, walk)
            if result == GIT_ITEROVER.rawValue { return found }
            try check(result, operation)
            let commit = CommitID(oid)
            let object = try lookupCommit(commit)
            defer { git_commit_free(object) }
            let parents = (0..<git_commit_parentcount(object)).compactMap { index in
                git_commit_parent_id(object, index).map { CommitID($0.pointee) }
            }
            if parents.contains(where: descending.contains) {
                descending.insert(commit)
                found.append(commit)
            }
        }
    }
}
