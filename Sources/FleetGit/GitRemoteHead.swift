import CLibgit2

/// Asks a remote where a branch points without downloading any objects: a connection and the ref
/// advertisement only, so a poller can check for new commits cheaply and fetch only when there is one.
public enum GitRemoteHead {
    /// The commit `branch` points to on the remote at `url`, or nil if the remote has no such branch.
    /// `branch` is a branch name (`main`), a full ref name (`refs/tags/v1`) or `HEAD`.
    public static func lookup(url: String, branch: String, credentials: GitCredentials) throws -> CommitID? {
        Libgit2.ensureInitialized()
        let operation = "list refs of \(url)"
        let wanted = branch == "HEAD" || branch.hasPrefix("refs/") ? branch : "refs/heads/\(branch)"
        var remote: OpaquePointer?
        try check(git_remote_create_detached(&remote, url), operation)
        defer { git_remote_free(remote) }
        let session = RemoteSession(url: url, credentials: credentials)
        return try session.withCallbacks { callbacks in
            try session.check(git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nil, nil), operation)
            defer { git_remote_disconnect(remote) }
            var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
            var count = 0
            try session.check(git_remote_ls(&heads, &count, remote), operation)
            for index in 0..<count {
                guard let head = heads?[index]?.pointee, let name = head.name else { continue }
                if String(cString: name) == wanted {
                    return CommitID(head.oid)
                }
            }
            return nil
        }
    }
}
