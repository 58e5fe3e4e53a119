import CLibgit2
import Foundation

extension GitRepository {
    /// The paths that differ between the trees of `old` and `new`, optionally only under `path`.
    ///
    /// A tree-to-tree diff (no work tree) with rename detection, so a moved manifest shows as one rename
    /// rather than a delete and an add. `path` is matched literally as a file or directory prefix, never as a
    /// glob. A rename across the `path` boundary appears as the half that lies inside it.
    public func changedPaths(from old: CommitID, to new: CommitID, under path: String? = nil) throws -> [ChangedPath] {
        let operation = "diff \(old.short)..\(new.short)"
        let oldTree = try tree(of: old)
        defer { git_tree_free(oldTree) }
        let newTree = try tree(of: new)
        defer { git_tree_free(newTree) }

        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), operation)
        options.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue
        let prefix = path.map(Self.normalize) ?? ""
        var diff: OpaquePointer?
        let pathspec = strdup(prefix)
        defer { free(pathspec) }
        var strings: [UnsafeMutablePointer<CChar>?] = [pathspec]
        try strings.withUnsafeMutableBufferPointer { buffer in
            if !prefix.isEmpty {
                options.pathspec = git_strarray(strings: buffer.baseAddress, count: 1)
            }
            try check(git_diff_tree_to_tree(&diff, handle, oldTree, newTree, &options), operation)
        }
        defer { git_diff_free(diff) }

        var findOptions = git_diff_find_options()
        try check(git_diff_find_options_init(&findOptions, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)), operation)
        findOptions.flags = GIT_DIFF_FIND_RENAMES.rawValue
        try check(git_diff_find_similar(diff, &findOptions), "\(operation): detect renames")

        var changes: [ChangedPath] = []
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            let oldPath = delta.old_file.path.map { String(cString: $0) }
            let newPath = delta.new_file.path.map { String(cString: $0) }
            switch delta.status {
            case GIT_DELTA_ADDED, GIT_DELTA_COPIED:
                changes.append(ChangedPath(status: .added, oldPath: nil, newPath: newPath))
            case GIT_DELTA_DELETED:
                changes.append(ChangedPath(status: .deleted, oldPath: oldPath, newPath: nil))
            case GIT_DELTA_RENAMED:
                changes.append(ChangedPath(status: .renamed, oldPath: oldPath, newPath: newPath))
            case GIT_DELTA_MODIFIED, GIT_DELTA_TYPECHANGE:
                changes.append(ChangedPath(status: .modified, oldPath: oldPath, newPath: newPath))
            default:
                continue
            }
        }
        return changes
    }

    private func tree(of id: CommitID) throws -> OpaquePointer {
        let commit = try lookupCommit(id)
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commit), "read tree of \(id.short)")
        return tree!
    }
}
