import CLibgit2
import Foundation

/// An open Git repository, read through libgit2 without a work tree.
///
/// Owns one `git_repository*` and one object database handle that every read reuses. Not `Sendable`: a
/// libgit2 repository handle must not be used from two threads at once, so confine an instance to one task or
/// actor, and open another instance for parallel work.
///
/// In a bare repository that has an `origin` remote (the cache clones made by `clone(url:into:credentials:)`),
/// branch names resolve to the remote-tracking refs that `fetch()` updates, so a fetch is always what a
/// revision means.
public final class GitRepository {
    let handle: OpaquePointer
    /// The Git directory (for a bare repository, the repository itself).
    public let gitDirectory: String
    public let isBare: Bool
    /// Used by `fetch()`; set by the clone and open-or-clone constructors.
    public var credentials: GitCredentials
    let tracksOrigin: Bool
    private var odbHandle: OpaquePointer?

    init(handle: OpaquePointer, credentials: GitCredentials) {
        self.handle = handle
        self.credentials = credentials
        gitDirectory = git_repository_path(handle).map { String(cString: $0) } ?? ""
        isBare = git_repository_is_bare(handle) == 1
        var remote: OpaquePointer?
        if git_remote_lookup(&remote, handle, "origin") == 0 {
            git_remote_free(remote)
            tracksOrigin = isBare
        } else {
            tracksOrigin = false
        }
    }

    deinit {
        if let odbHandle {
            git_odb_free(odbHandle)
        }
        git_repository_free(handle)
    }

    /// Opens the repository at `path`: a work tree, its `.git` directory or a bare repository.
    /// Does not search parent directories.
    public static func open(at path: String, credentials: GitCredentials = .none) throws -> GitRepository {
        Libgit2.ensureInitialized()
        var repository: OpaquePointer?
        try check(
            git_repository_open_ext(&repository, path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil),
            "open repository at \(path)")
        return GitRepository(handle: repository!, credentials: credentials)
    }

    /// The object database, opened once and reused so per-object reads do not pay for a lookup.
    func odb() throws -> OpaquePointer {
        if let odbHandle {
            return odbHandle
        }
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, handle), "open object database of \(gitDirectory)")
        odbHandle = odb
        return odb!
    }

    // MARK: Revisions

    /// The commit a revision names: a branch, a tag (annotated tags are peeled), a full or unambiguous short
    /// commit id, `HEAD`, or any other libgit2 revision expression such as `main~1`.
    ///
    /// Throws `.notFound` for an unknown revision, `.ambiguous` when a short id matches several objects or a
    /// name is both a branch and a tag pointing at different commits, and `.invalidInput` when the revision
    /// names something that is not a commit (a tree or blob).
    public func resolve(_ revision: String) throws -> CommitID {
        let operation = "resolve '\(revision)'"
        guard !revision.isEmpty else {
            throw GitError(.invalidInput, operation: operation, message: "the revision is empty")
        }
        if !revision.hasPrefix("refs/") && isPlainName(revision) {
            let branchRef: String
            if tracksOrigin {
                branchRef = "refs/remotes/origin/\(revision)"
            } else {
                branchRef = revision == "HEAD" ? "HEAD" : "refs/heads/\(revision)"
            }
            let branch = try peeledCommit(ofReference: branchRef, operation: operation)
            let tag =
                revision == "HEAD" ? nil : try peeledCommit(ofReference: "refs/tags/\(revision)", operation: operation)
            if let branch, let tag, branch != tag {
                throw GitError(
                    .ambiguous, operation: operation,
                    message: "'\(revision)' is both a branch (\(branch.short)) and a tag (\(tag.short)); "
                        + "use refs/heads/\(revision) or refs/tags/\(revision)")
            }
            if let found = branch ?? tag {
                return found
            }
        }
        var object: OpaquePointer?
        let result = git_revparse_single(&object, handle, revision)
        if result == GIT_ENOTFOUND.rawValue {
            throw GitError(
                .notFound, operation: operation,
                message: "no branch, tag or commit named '\(revision)' in \(gitDirectory)",
                libgit2Class: git_error_last()?.pointee.klass, libgit2Code: result)
        }
        try check(result, operation)
        defer { git_object_free(object) }
        return try peelToCommit(object!, operation: operation)
    }

    private func isPlainName(_ revision: String) -> Bool {
        !revision.contains(where: { "~^:@{}".contains($0) })
    }

    /// The commit a reference peels to, or nil when the reference does not exist.
    private func peeledCommit(ofReference name: String, operation: String) throws -> CommitID? {
        var reference: OpaquePointer?
        let result = git_reference_lookup(&reference, handle, name)
        if result == GIT_ENOTFOUND.rawValue || result == GIT_EINVALIDSPEC.rawValue {
            return nil
        }
        try check(result, operation)
        defer { git_reference_free(reference) }
        var object: OpaquePointer?
        let peeled = git_reference_peel(&object, reference, GIT_OBJECT_COMMIT)
        if peeled == GIT_ENOTFOUND.rawValue {
            // A symbolic ref to an unborn branch, such as HEAD in an empty repository.
            return nil
        }
        try check(peeled, operation)
        defer { git_object_free(object) }
        return CommitID(git_object_id(object).pointee)
    }

    private func peelToCommit(_ object: OpaquePointer, operation: String) throws -> CommitID {
        var commit: OpaquePointer?
        let result = git_object_peel(&commit, object, GIT_OBJECT_COMMIT)
        if result < 0 {
            let type = String(cString: git_object_type2string(git_object_type(object)))
            throw GitError(
                .invalidInput, operation: operation, message: "the revision names a \(type), not a commit",
                libgit2Class: git_error_last()?.pointee.klass, libgit2Code: result)
        }
        defer { git_object_free(commit) }
        return CommitID(git_object_id(commit).pointee)
    }

    /// Whether the repository holds the commit (for example, whether a fetch brought it in).
    public func contains(_ commit: CommitID) throws -> Bool {
        var oid = commit.oid
        return git_odb_exists(try odb(), &oid) == 1
    }

    // MARK: Commits

    /// The metadata of a commit.
    public func commit(_ id: CommitID) throws -> CommitInfo {
        let commit = try lookupCommit(id)
        defer { git_commit_free(commit) }
        let parents = (0..<git_commit_parentcount(commit)).compactMap { index in
            git_commit_parent_id(commit, index).map { CommitID($0.pointee) }
        }
        return CommitInfo(
            id: id,
            summary: git_commit_summary(commit).map { String(cString: $0) } ?? "",
            message: git_commit_message(commit).map { String(cString: $0) } ?? "",
            author: CommitInfo.Signature(git_commit_author(commit)),
            committer: CommitInfo.Signature(git_commit_committer(commit)),
            parentIDs: parents)
    }

    func lookupCommit(_ id: CommitID) throws -> OpaquePointer {
        var oid = id.oid
        var commit: OpaquePointer?
        let result = git_commit_lookup(&commit, handle, &oid)
        if result == GIT_ENOTFOUND.rawValue {
            throw GitError(
                .notFound, operation: "look up commit \(id.short)",
                message: "commit \(id.hex) is not in \(gitDirectory); fetch first?",
                libgit2Class: git_error_last()?.pointee.klass, libgit2Code: result)
        }
        try check(result, "look up commit \(id.short)")
        return commit!
    }

    /// Whether `ancestor` is reachable from `descendant` by following parents. A commit counts as its own
    /// ancestor, so a branch that did not move is not reported as rewritten.
    public func isAncestor(_ ancestor: CommitID, of descendant: CommitID) throws -> Bool {
        if ancestor == descendant {
            return true
        }
        var ancestorOID = ancestor.oid
        var descendantOID = descendant.oid
        let result = git_graph_descendant_of(handle, &descendantOID, &ancestorOID)
        try check(result, "check whether \(ancestor.short) is an ancestor of \(descendant.short)")
        return result == 1
    }
}

extension CommitInfo.Signature {
    init(_ signature: UnsafePointer<git_signature>?) {
        guard let signature = signature?.pointee else {
            self.init(name: "", email: "", date: Date(timeIntervalSince1970: 0), utcOffsetMinutes: 0)
            return
        }
        self.init(
            name: signature.name.map { String(cString: $0) } ?? "",
            email: signature.email.map { String(cString: $0) } ?? "",
            date: Date(timeIntervalSince1970: TimeInterval(signature.when.time)),
            utcOffsetMinutes: Int(signature.when.offset))
    }
}
