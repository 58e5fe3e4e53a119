import FleetGit
import FleetModel
import Foundation

/// The controller's fleet repository: the only holder of its libgit2 handle, isolated to the Git thread
/// (``GitExecutor``), so every read, fetch, note and push runs there one at a time and never on the pool that
/// serves probes and passes.
///
/// Every network operation (clone, remote head lookup, fetch, notes push) runs under a deadline
/// (``GitNetwork/withDeadline(_:_:)``): a remote that never answers costs at most `networkTimeout`, then the
/// operation fails with `.timedOut` and the thread is free again.
public actor TrackedRepository {
    /// Where the repository is and how to reach it.
    public struct Location: Sendable, Hashable {
        /// A URL (file://, https://, ssh://, scp-like) or a local path.
        public var repository: String
        public var branch: String
        public var credentials: GitCredentials
        /// Where clones of a remote are cached.
        public var cacheRoot: String
        public var layout: FleetLayout

        public init(
            repository: String, branch: String, credentials: GitCredentials, cacheRoot: String, layout: FleetLayout
        ) {
            self.repository = repository
            self.branch = branch
            self.credentials = credentials
            self.cacheRoot = cacheRoot
            self.layout = layout
        }

        /// Whether the repository is reached through a remote (and so cached, fetched and pushed to).
        public var isRemote: Bool { Self.isRemote(repository) }

        /// Whether `repository` names a remote (a URL or scp-like `user@host:path`) rather than a local path.
        public static func isRemote(_ repository: String) -> Bool {
            repository.contains("://") || (repository.contains("@") && repository.contains(":"))
        }
    }

    public nonisolated let location: Location
    /// The bound of each network operation.
    public nonisolated let networkTimeout: Duration
    private nonisolated let executor: GitExecutor
    private var repository: GitRepository?
    private var source: DesiredStateSource?
    /// Opens the fleet's sealed secrets when its specs are loaded; nil checks only that they exist.
    private nonisolated let secretKeyring: SecretKeyring?
    /// Whether a secret reference without a keyring rejects the commit (a controller) or only has its sealed file
    /// checked (`validate`, `plan`).
    private nonisolated let secretsRequired: Bool

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public init(
        location: Location, networkTimeout: Duration, executor: GitExecutor = GitExecutor(),
        secretKeyring: SecretKeyring? = nil, secretsRequired: Bool = false
    ) {
        self.location = location
        self.networkTimeout = networkTimeout
        self.executor = executor
        self.secretKeyring = secretKeyring
        self.secretsRequired = secretsRequired
    }

    /// Why the repository at a local path (or a file:// URL) cannot be used, said plainly: libgit2 reports a
    /// missing path and an unreadable one alike ("could not find repository"), and a missing file:// remote as
    /// a network failure.
    private func checkLocalPath(_ operation: String) throws {
        let repository = location.repository
        let path: String
        if repository.hasPrefix("file://") {
            path = URL(string: repository)?.path ?? String(repository.dropFirst("file://".count))
        } else if !location.isRemote {
            path = repository
        } else {
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw GitError(.notFound, operation: operation, message: "there is no repository at \(path)")
        }
        guard FileManager.default.isReadableFile(atPath: path), FileManager.default.isExecutableFile(atPath: path)
        else {
            throw GitError(
                .permissionDenied, operation: operation,
                message: "the repository at \(path) cannot be read by this process (check its permissions)")
        }
    }

    /// The open repository: the cache clone of a remote (cloned on first use, under the deadline) or the
    /// local repository itself.
    func opened() throws -> GitRepository {
        if let repository { return repository }
        try checkLocalPath("open \(location.repository)")
        let location = location
        let opened: GitRepository
        if location.isRemote {
            opened = try GitNetwork.withDeadline(networkTimeout) {
                try GitRepository.openOrClone(
                    url: location.repository, cacheRoot: location.cacheRoot, credentials: location.credentials)
            }
        } else {
            opened = try GitRepository.open(at: location.repository, credentials: location.credentials)
        }
        repository = opened
        source = DesiredStateSource(
            repository: opened, layout: location.layout, keyring: secretKeyring, secretsRequired: secretsRequired)
        return opened
    }

    /// Opens (or clones) the repository now rather than on first use.
    public func open() throws {
        _ = try opened()
    }

    /// The tracked branch's commit on the remote, without downloading anything; nil when the remote has no
    /// such branch. For a local repository, its branch head.
    public func remoteHead() throws -> CommitID? {
        guard location.isRemote else { return try localHead() }
        try checkLocalPath("look up the head of \(location.repository)")
        let location = location
        return try GitNetwork.withDeadline(networkTimeout) {
            try GitRemoteHead.lookup(
                url: location.repository, branch: location.branch, credentials: location.credentials)
        }
    }

    /// Brings the cache clone up to date with the remote. Returns how long the transfer took.
    @discardableResult
    public func fetch() throws -> Duration {
        let repository = try opened()
        guard location.isRemote else { return .zero }
        try checkLocalPath("fetch \(location.repository)")
        let started = ContinuousClock.now
        try GitNetwork.withDeadline(networkTimeout) { try repository.fetch() }
        return ContinuousClock.now - started
    }

    /// The tracked branch's commit as last fetched.
    public func localHead() throws -> CommitID {
        try opened().resolve(location.branch)
    }

    /// Whether the repository already holds `commit` (a webhook's revision that needs no fetch).
    public func contains(_ commit: CommitID) -> Bool {
        (try? opened().contains(commit)) ?? false
    }

    /// The desired fleet at `commit`; throws `ManifestError` for invalid manifests.
    public func fleet(at commit: CommitID) throws -> Fleet {
        _ = try opened()
        return try source!.fleet(at: commit)
    }

    /// The contents of the blob `id` (a sealed secret, read again by the object id its spec recorded).
    public func blob(_ id: String, maxSize: Int) throws -> [UInt8] {
        try opened().blob(id, maxSize: maxSize)
    }

    /// Why `commit` is not a fast-forward of `lastDeployed`, or nil when it is.
    public func historyRewriteNote(from lastDeployed: CommitID, to commit: CommitID) throws -> String? {
        try opened().historyRewriteNote(from: lastDeployed, to: commit)
    }

    public func signature(of commit: CommitID) throws -> CommitSignature? {
        try opened().signature(of: commit)
    }

    /// Writes `text` as the note on `commit` under `ref`, locally.
    public func setNote(_ text: String, on commit: CommitID, ref: String, author: CommitInfo.Signature) throws {
        try opened().setNote(text, on: commit, ref: ref, author: author)
    }

    /// The note on `commit` under `ref` in the local repository.
    public func note(on commit: CommitID, ref: String) throws -> String? {
        try opened().note(on: commit, ref: ref)
    }

    /// Every note under `ref` in the local repository, ordered by commit id.
    public func notes(ref: String) throws -> [(commit: CommitID, text: String)] {
        try opened().notes(ref: ref)
    }

    /// The notes commit `ref` points at locally; nil before the first note.
    public func notesTip(ref: String) throws -> CommitID? {
        try opened().notesTip(ref: ref)
    }

    /// Fetches the remote's notes under `ref` and merges them into the local ref (as a push does first); a no-op
    /// for a local repository.
    public func fetchNotes(ref: String) throws {
        guard location.isRemote else { return }
        let repository = try opened()
        try checkLocalPath("fetch notes from \(location.repository)")
        let location = location
        try GitNetwork.withDeadline(networkTimeout) {
            _ = try repository.fetchNotes(ref: ref, credentials: location.credentials)
        }
    }

    /// Pushes the notes ref (and only it) to the remote, merging what other writers pushed; a no-op for a
    /// local repository. Returns whether anything was sent.
    @discardableResult
    public func pushNotes(ref: String) throws -> Bool {
        guard location.isRemote else { return false }
        let repository = try opened()
        try checkLocalPath("push notes to \(location.repository)")
        let location = location
        return try GitNetwork.withDeadline(networkTimeout) {
            try repository.pushNotes(ref: ref, credentials: location.credentials).pushed
        }
    }
}
