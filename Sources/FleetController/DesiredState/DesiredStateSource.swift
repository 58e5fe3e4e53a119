import FleetGit
import FleetModel

/// Reads the desired fleet at a commit straight from Git's object database: no work tree, nothing
/// checked out, so what is deployed is exactly what was committed.
///
/// Blobs are read and parsed only when the decoder has not seen them: reloading a large fleet in
/// which one file changed reads and parses that one file (the tree listing and the cross-file checks
/// still cover every file). Everything wrong in the repository is reported at once, as one
/// ``ManifestError`` whose issues each name file:line:column.
public final class DesiredStateSource {
    public let repository: GitRepository
    public let layout: FleetLayout
    private var decoder: ManifestDecoder
    /// The commit of the last load that succeeded, from which the next one may be a shortcut.
    private var lastLoadedCommit: CommitID? = nil
    private var secrets: SealedSecrets

    /// With `keyring`, every secret reference is opened and gets its keyed digest; without one (a
    /// developer's `validate`), only the presence of each sealed file is checked, unless `secretsRequired`
    /// (a controller): then a reference rejects the commit, since no instance of the spec could start.
    public init(
        repository: GitRepository, layout: FleetLayout = FleetLayout(), limits: ManifestLimits = ManifestLimits(),
        keyring: SecretKeyring? = nil, secretsRequired: Bool = false
    ) {
        self.repository = repository
        self.layout = layout
        self.decoder = ManifestDecoder(limits: limits)
        self.secrets = SealedSecrets(keyring: keyring, required: secretsRequired)
    }

    /// How much the last load read and parsed, for benchmarks and logs.
    public var lastLoad: ManifestDecoder.LoadStatistics { decoder.lastLoad }

    /// The fleet at `commit`. Throws ``ManifestError`` for anything wrong in the manifests and
    /// ``GitError`` when the repository itself cannot be read.
    ///
    /// Following a branch from the last commit loaded, when Git's tree diff shows that only the
    /// contents of some service files changed, only those files are read and decoded and the rest of
    /// the last fleet is kept, provided the checks that span files are sure to come out the same (see
    /// ``ManifestDecoder/fleet(fleetFile:changedServiceFiles:revision:)``). Anything else (a new,
    /// removed or renamed file, a changed fleet file, an issue anywhere) takes a full load.
    public func fleet(at commit: CommitID) throws -> Fleet {
        var fleet: Fleet
        if let previous = lastLoadedCommit, let loaded = try? shortcut(from: previous, to: commit) {
            fleet = loaded
        } else {
            lastLoadedCommit = nil
            fleet = try fullLoad(at: commit)
        }
        lastLoadedCommit = commit
        try secrets.resolve(&fleet, at: commit, in: repository, layout: layout)
        return fleet
    }

    /// The fleet at `commit` from the files that changed since `previous`, or nil for a full load.
    private func shortcut(from previous: CommitID, to commit: CommitID) throws -> Fleet? {
        var changedFiles: [ManifestFile] = []
        for change in try repository.changedPaths(from: previous, to: commit, under: layout.servicesPath) {
            guard change.status == .modified, let path = change.newPath, change.oldPath == path else { return nil }
            guard FleetLayout.isManifest(path) else { continue }
            guard let entry = try repository.files(at: commit, under: path, sizes: false).first,
                entry.path == path, entry.kind == .regular || entry.kind == .executable
            else { return nil }
            var issues: [ManifestIssue] = []
            guard let file = read(entry, issues: &issues), issues.isEmpty else { return nil }
            changedFiles.append(file)
        }
        var fleetFile: ManifestFile? = nil
        do {
            if let entry = try repository.files(at: commit, under: layout.fleetFilePath).first {
                var issues: [ManifestIssue] = []
                guard let file = read(entry, issues: &issues), issues.isEmpty else { return nil }
                fleetFile = file
            }
        } catch let error as GitError where error.code == .notFound {
            fleetFile = nil
        }
        return decoder.fleet(fleetFile: fleetFile, changedServiceFiles: changedFiles, revision: commit.hex)
    }

    private func fullLoad(at commit: CommitID) throws -> Fleet {
        var issues: [ManifestIssue] = []
        var fleetEntry: TreeFile? = nil
        do {
            fleetEntry = try repository.files(at: commit, under: layout.fleetFilePath).first
        } catch let error as GitError where error.code == .notFound {
            fleetEntry = nil
        }
        var serviceEntries: [TreeFile] = []
        do {
            serviceEntries = try repository.files(at: commit, under: layout.servicesPath, sizes: false)
        } catch let error as GitError where error.code == .notFound {
            // Git keeps no empty folders: with a fleet file, no services folder is an empty fleet. Without
            // one it is far more likely a wrong --path, which must never read as "remove everything".
            guard fleetEntry != nil else {
                throw ManifestError(issues: [
                    ManifestIssue(
                        location: SourceLocation(file: layout.servicesPath.isEmpty ? "." : layout.servicesPath),
                        fieldPath: "",
                        message: "no such folder at commit \(commit.short), and no \(layout.fleetFilePath)",
                        expected: "a folder of service manifests; see --path")
                ])
            }
        }
        let fleetFile = fleetEntry.flatMap { read($0, issues: &issues) }
        var serviceFiles: [ManifestFile] = []
        serviceFiles.reserveCapacity(serviceEntries.count)
        for entry in serviceEntries where FleetLayout.isManifest(entry.path) {
            if let file = read(entry, issues: &issues) { serviceFiles.append(file) }
        }

        switch decoder.fleet(fleetFile: fleetFile, serviceFiles: serviceFiles, revision: commit.hex) {
        case .success(let fleet) where issues.isEmpty:
            return fleet
        case .success:
            throw ManifestError(issues: issues)
        case .failure(let error):
            throw ManifestError(issues: issues + error.issues)
        }
    }

    /// The manifest file for a tree entry, or nil with an issue when it may not be read. A blob the
    /// decoder already holds is passed without its contents.
    private func read(_ entry: TreeFile, issues: inout [ManifestIssue]) -> ManifestFile? {
        switch entry.kind {
        case .symlink:
            issues.append(.symlinkNotAllowed(path: entry.path))
            return nil
        case .submodule:
            return nil
        case .regular, .executable:
            break
        }
        // Held blobs were checked when first read; only new blobs pay for a header read.
        if decoder.holds(path: entry.path, blobID: entry.blobID) {
            return ManifestFile(path: entry.path, contents: [], blobID: entry.blobID)
        }
        let limit = decoder.limits.maxFileSize
        do {
            var entry = entry
            entry.size = try repository.size(of: entry)
            if entry.size > limit {
                issues.append(.fileTooLarge(path: entry.path, size: entry.size, limit: limit))
                return nil
            }
            let contents = try repository.contents(of: entry, maxSize: limit)
            return ManifestFile(path: entry.path, contents: contents, blobID: entry.blobID)
        } catch {
            issues.append(
                ManifestIssue(
                    location: SourceLocation(file: entry.path), fieldPath: "", message: "cannot be read: \(error)"))
            return nil
        }
    }
}
