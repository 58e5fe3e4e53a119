import CLibgit2
import Crypto
import FleetModel
import Foundation

extension GitRepository {
    /// The fetch refspecs of cache clones: every branch as a remote-tracking ref, and tags, forced so a moved
    /// tag or a rewritten branch is seen as it now is on the remote.
    static let branchRefspec = "+refs/heads/*:refs/remotes/origin/*"
    static let tagRefspec = "+refs/tags/*:refs/tags/*"

    /// The cache directory for `url` under `cacheRoot`: a readable name from the URL's last path component and
    /// a hash of the whole URL, so two remotes never share a directory and the same remote always maps to one.
    public static func cacheDirectory(for url: String, under cacheRoot: String) -> String {
        var name = url
        while name.hasSuffix("/") { name.removeLast() }
        name = String(name.split(whereSeparator: { $0 == "/" || $0 == ":" }).last ?? "repository")
        if name.hasSuffix(".git") { name.removeLast(4) }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        name = String(name.map { allowed.contains($0) ? $0 : "_" }.prefix(40))
        let digest = Hex.lowercase(Insecure.SHA1.hash(data: Array(url.utf8)).prefix(8))
        return (cacheRoot as NSString).appendingPathComponent("\(name.isEmpty ? "repository" : name)-\(digest).git")
    }

    /// Makes a bare clone of `url` (file://, https or ssh) in `directory`, with remote-tracking refs under
    /// `refs/remotes/origin/` and all tags.
    ///
    /// The clone is built in a sibling staging directory and moved into place only once the first fetch has
    /// succeeded, so a crash or an auth failure never leaves a half-made cache that later looks valid.
    public static func clone(url: String, into directory: String, credentials: GitCredentials) throws -> GitRepository {
        Libgit2.ensureInitialized()
        let operation = "clone \(url)"
        let fileManager = FileManager.default
        let parent = (directory as NSString).deletingLastPathComponent
        try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let staging = "\(directory).partial-\(UUID().uuidString)"
        do {
            try initializeMirror(url: url, at: staging, credentials: credentials, operation: operation)
        } catch {
            try? fileManager.removeItem(atPath: staging)
            throw error
        }
        do {
            try fileManager.moveItem(atPath: staging, toPath: directory)
        } catch {
            // Another process finished the same clone first; its copy is as good as ours.
            try? fileManager.removeItem(atPath: staging)
            guard fileManager.fileExists(atPath: directory) else { throw error }
        }
        return try open(at: directory, credentials: credentials)
    }

    private static func initializeMirror(
        url: String, at path: String, credentials: GitCredentials, operation: String
    ) throws {
        var handle: OpaquePointer?
        try check(git_repository_init(&handle, path, 1), operation)
        let repository = GitRepository(handle: handle!, credentials: credentials)
        var remote: OpaquePointer?
        try check(
            git_remote_create_with_fetchspec(&remote, repository.handle, "origin", url, branchRefspec), operation)
        git_remote_free(remote)
        try check(git_remote_add_fetch(repository.handle, "origin", tagRefspec), operation)
        try repository.fetch()
    }

    /// Opens the cache clone of `url` under `cacheRoot`, cloning it first if there is none.
    /// An existing clone is not fetched: call `fetch()` when fresh data is needed.
    public static func openOrClone(url: String, cacheRoot: String, credentials: GitCredentials) throws -> GitRepository
    {
        let directory = cacheDirectory(for: url, under: cacheRoot)
        if FileManager.default.fileExists(atPath: directory) {
            return try open(at: directory, credentials: credentials)
        }
        return try clone(url: url, into: directory, credentials: credentials)
    }

    /// The URL of the `origin` remote, if there is one.
    public var originURL: String? {
        var remote: OpaquePointer?
        guard git_remote_lookup(&remote, handle, "origin") == 0 else { return nil }
        defer { git_remote_free(remote) }
        return git_remote_url(remote).map { String(cString: $0) }
    }

    /// Brings `origin`'s branches and tags up to date with the remote, using `credentials`.
    ///
    /// Remote-tracking refs and tags are forced to the remote's values, refs deleted on the remote are pruned,
    /// and `refs/remotes/origin/HEAD` follows the remote's default branch.
    public func fetch() throws {
        var remote: OpaquePointer?
        try check(git_remote_lookup(&remote, handle, "origin"), "fetch: look up remote 'origin' in \(gitDirectory)")
        defer { git_remote_free(remote) }
        let url = git_remote_url(remote).map { String(cString: $0) } ?? "origin"
        let operation = "fetch \(url)"
        let session = RemoteSession(url: url, credentials: credentials)
        try session.withCallbacks { callbacks in
            try session.check(git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nil, nil), operation)
            defer { git_remote_disconnect(remote) }
            var options = git_fetch_options()
            try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), operation)
            options.callbacks = callbacks
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL
            options.prune = GIT_FETCH_PRUNE
            try session.check(git_remote_download(remote, nil, &options), operation)
            try session.check(
                git_remote_update_tips(remote, &callbacks, 1, GIT_REMOTE_DOWNLOAD_TAGS_ALL, "gitfleet: fetch"),
                operation)
            try session.check(git_remote_prune(remote, &callbacks), "\(operation): prune")
            try updateOriginHead(remote!, operation: operation)
        }
    }

    private func updateOriginHead(_ remote: OpaquePointer, operation: String) throws {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        guard git_remote_default_branch(&buffer, remote) == 0, let pointer = buffer.ptr else {
            // An empty remote has no default branch; nothing to point at.
            return
        }
        let branch = String(cString: pointer)
        guard branch.hasPrefix("refs/heads/") else { return }
        let target = "refs/remotes/origin/" + branch.dropFirst("refs/heads/".count)
        var reference: OpaquePointer?
        try check(
            git_reference_symbolic_create(
                &reference, handle, "refs/remotes/origin/HEAD", target, 1, "gitfleet: remote default branch"),
            "\(operation): record the remote's default branch")
        git_reference_free(reference)
    }
}
