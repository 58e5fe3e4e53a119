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

    public init(
        repository: GitRepository, layout: FleetLayout = FleetLayout(), limits: ManifestLimits = ManifestLimits()
    ) {
        self.repository = repository
        self.layout = layout
        self.decoder = ManifestDecoder(limits: limits)
    }

    /// How much the last load read and parsed, for benchmarks and logs.
    public var lastLoad: ManifestDecoder.LoadStatistics { decoder.lastLoad }

    /// The fleet at `commit`. Throws ``ManifestError`` for anything wrong in the manifests and
    /// ``GitError`` when the repository itself cannot be read.
    public func fleet(at commit: CommitID) throws -> Fleet {
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
