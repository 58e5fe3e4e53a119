/// Turns the manifest files of a fleet repository into a validated ``Fleet``, or into every problem
/// found in them at once (``ManifestError``), each with file:line:column and field path.
///
/// Decoding happens in two steps so that a reload costs only what changed:
/// 1. ``parse(_:role:)`` parses one file and checks each document by itself. The result depends only on
///    the path and the bytes, so it is cached by path and blob id.
/// 2. ``fleet(fleetFile:serviceFiles:revision:)`` merges the fleet defaults into each service, decodes the
///    specs, and runs the checks that span files (duplicate names, `dependsOn`). Decoded services are
///    cached by path and blob id for as long as the defaults stay the same (same values at the same
///    positions), so reloading 10,000 files of which one changed parses and decodes that one file.
///
/// The decoder is a value: the caches live in it. Entries for files that left the repository are dropped
/// once they make up half the cache, so a long-running controller holds at most about twice its repository.
public struct ManifestDecoder: Sendable {
    public var limits: ManifestLimits
    /// What the last load did, for callers that report or measure it.
    public private(set) var lastLoad = LoadStatistics()

    private var parsedCache: [FileKey: ParsedManifest] = [:]
    private var decodedCache: [FileKey: DecodedFile] = [:]
    /// The defaults that `decodedCache` was decoded with.
    private var decodedDefaultsFingerprint: String? = nil
    /// The last load that succeeded, for ``fleet(fleetFile:changedServiceFiles:revision:)``.
    private var lastSuccess: SuccessfulLoad? = nil

    public struct LoadStatistics: Hashable, Sendable {
        /// Files parsed from their bytes (not found in the cache).
        public var parsedFiles = 0
        /// Service files whose specs were decoded (not found in the cache).
        public var decodedFiles = 0
        /// Service files taken whole from the cache.
        public var reusedFiles = 0
    }

    /// The fleet name used when there is no `fleet.yaml` or it names none.
    public static let defaultFleetName = "default"

    public init(limits: ManifestLimits = ManifestLimits()) {
        self.limits = limits
    }

    /// Parses one file and checks its documents by themselves (step 1). Cached by path and blob id.
    public mutating func parse(_ file: ManifestFile, role: ManifestFileRole = .services) -> ParsedManifest {
        guard let blobID = file.blobID else { return ParsedManifest(file: file, role: role, limits: limits) }
        let key = FileKey(path: file.path, blobID: blobID, role: role)
        if let cached = parsedCache[key] { return cached }
        let parsed = ParsedManifest(file: file, role: role, limits: limits)
        lastLoad.parsedFiles += 1
        parsedCache[key] = parsed
        return parsed
    }

    /// The fleet's name: `metadata.name` of `fleet.yaml`, or ``defaultFleetName``.
    /// Whether the decoder already holds the file at `path` with `blobID`, so that a caller may pass it
    /// again without reading its contents: the cached parse is used and the contents are not looked at.
    public func holds(path: String, blobID: String) -> Bool {
        parsedCache[FileKey(path: path, blobID: blobID, role: .services)] != nil
            || parsedCache[FileKey(path: path, blobID: blobID, role: .fleet)] != nil
    }

    public mutating func fleetName(fleetFile: ManifestFile?) -> String {
        guard let fleetFile else { return ManifestDecoder.defaultFleetName }
        return parse(fleetFile, role: .fleet).fleet?.name ?? ManifestDecoder.defaultFleetName
    }

    /// Decodes and validates the whole fleet (step 2), reporting every issue in every file.
    ///
    /// - Parameters:
    ///   - fleetFile: `fleet.yaml`, if the repository has one.
    ///   - serviceFiles: every `*.yaml` / `*.yml` file under the services directory.
    ///   - revision: the commit the files were read from, recorded in the fleet.
    public mutating func fleet(
        fleetFile: ManifestFile?, serviceFiles: [ManifestFile], revision: String? = nil
    ) -> Result<Fleet, ManifestError> {
        lastLoad = LoadStatistics()
        lastSuccess = nil
        var issues: [ManifestIssue] = []
        var fleetName = ManifestDecoder.defaultFleetName
        var defaults: YAMLNode? = nil
        if let fleetFile {
            let fleet = parse(fleetFile, role: .fleet)
            issues += fleet.issues
            if let name = fleet.fleet?.name { fleetName = name }
            defaults = fleet.fleet?.defaults
            if let defaults {
                var reader = NodeReader(file: fleetFile.path, defaultsFile: nil, limits: limits)
                _ = reader.serviceSpec(defaults, name: "defaults", labels: [:], forDefaults: true)
                issues += reader.issues
            }
        }
        var fingerprint = fleetFile?.path ?? ""
        defaults?.fingerprint(into: &fingerprint)
        if fingerprint != decodedDefaultsFingerprint {
            decodedCache = [:]
            decodedDefaultsFingerprint = fingerprint
        }

        let files = serviceFiles.sorted(by: { $0.path < $1.path })
        let keys = files.map { file in file.blobID.map { FileKey(path: file.path, blobID: $0, role: .services) } }
        var decodedFiles = [DecodedFile?](repeating: nil, count: files.count)
        var work: [DecodeWork] = []
        for index in files.indices {
            if let key = keys[index], let cached = decodedCache[key] {
                decodedFiles[index] = cached
                lastLoad.reusedFiles += 1
            } else {
                work.append(DecodeWork(index: index, parsed: keys[index].flatMap { parsedCache[$0] }))
            }
        }
        ManifestDecoder.decode(
            &work, files: files, defaults: defaults, defaultsFile: fleetFile?.path, limits: limits)
        for item in work {
            if let key = keys[item.index], parsedCache[key] == nil, let parsed = item.parsed {
                parsedCache[key] = parsed
                lastLoad.parsedFiles += 1
            }
            decodedFiles[item.index] = item.decoded
            lastLoad.decodedFiles += 1
        }

        var specs: [ServiceSpec] = []
        specs.reserveCapacity(files.count)
        var services: [DependencyCheck.Service] = []
        services.reserveCapacity(files.count)
        for index in files.indices {
            guard let decoded = decodedFiles[index] else { continue }
            if let key = keys[index] { decodedCache[key] = decoded }
            issues += decoded.issues
            for service in decoded.services {
                if let spec = service.spec { specs.append(spec) }
                services.append(
                    DependencyCheck.Service(
                        name: service.name, location: service.location, dependsOn: service.dependsOn))
            }
        }
        evictUnused(fleetFile: fleetFile, serviceFiles: serviceFiles)
        issues += DependencyCheck.issues(for: services)
        guard issues.isEmpty else {
            // Issues in the defaults show up once per service that inherits them; report each once.
            var seen: Set<ManifestIssue> = []
            return .failure(ManifestError(issues: issues.filter { seen.insert($0).inserted }))
        }
        let fleet = Fleet(name: fleetName, services: specs, revision: revision)
        var blobIDs: [String: String] = [:]
        blobIDs.reserveCapacity(files.count)
        for (index, file) in files.enumerated() {
            guard let key = keys[index] else { return .success(fleet) }
            blobIDs[file.path] = key.blobID
        }
        lastSuccess = SuccessfulLoad(
            fleet: fleet, fleetFile: fleetFile.map { FileIdentity(path: $0.path, blobID: $0.blobID) },
            defaultsFingerprint: fingerprint, serviceBlobIDs: blobIDs)
        return .success(fleet)
    }

    /// Reloads after some service files changed content since the last successful load, doing work
    /// in proportion to the changed files instead of the whole fleet; nil when that is not possible
    /// and the caller must do a full load with ``fleet(fleetFile:serviceFiles:revision:)``.
    ///
    /// The caller vouches that every service file not in `changedServiceFiles` has the same path and
    /// blob id as in the last successful load (as Git's tree diff tells), and that no file was added,
    /// removed or renamed. The shortcut is taken only when its answer is the one a full load would
    /// give: the last load succeeded, the fleet file is the same blob, every changed file was part of
    /// that load, decodes without an issue, and defines the same service names with the same
    /// `dependsOn` names as before, so the checks that span files (duplicates, unknown dependencies,
    /// cycles) see the same names and edges and still find nothing.
    public mutating func fleet(
        fleetFile: ManifestFile?, changedServiceFiles: [ManifestFile], revision: String? = nil
    ) -> Fleet? {
        guard var last = lastSuccess,
            last.fleetFile == fleetFile.map({ FileIdentity(path: $0.path, blobID: $0.blobID) }),
            fleetFile.map({ $0.blobID != nil }) ?? true
        else { return nil }
        var defaults: YAMLNode? = nil
        if let fleetFile {
            defaults = parse(fleetFile, role: .fleet).fleet?.defaults
        }
        var fingerprint = fleetFile?.path ?? ""
        defaults?.fingerprint(into: &fingerprint)
        guard fingerprint == last.defaultsFingerprint, fingerprint == decodedDefaultsFingerprint else { return nil }

        var statistics = LoadStatistics()
        var replacements: [(old: FileKey, new: FileKey, parsed: ParsedManifest, decoded: DecodedFile)] = []
        for file in changedServiceFiles {
            guard let blobID = file.blobID, let oldBlobID = last.serviceBlobIDs[file.path] else { return nil }
            let oldKey = FileKey(path: file.path, blobID: oldBlobID, role: .services)
            let newKey = FileKey(path: file.path, blobID: blobID, role: .services)
            guard let previous = decodedCache[oldKey] else { return nil }
            let parsed: ParsedManifest
            if let cached = parsedCache[newKey] {
                parsed = cached
            } else {
                // A caller that found the blob held passes no contents; it may have been held in another role.
                guard !file.contents.isEmpty else { return nil }
                parsed = ParsedManifest(file: file, role: .services, limits: limits)
                statistics.parsedFiles += 1
            }
            let decoded = ManifestDecoder.decode(
                parsed, defaults: defaults, defaultsFile: fleetFile?.path, limits: limits)
            statistics.decodedFiles += 1
            guard decoded.issues.isEmpty, decoded.hasSameNames(as: previous),
                decoded.services.allSatisfy({ $0.spec != nil })
            else { return nil }
            replacements.append((oldKey, newKey, parsed, decoded))
        }

        var services = last.fleet.services
        for replacement in replacements {
            for service in replacement.decoded.services {
                guard let spec = service.spec, let index = Self.index(of: spec.name, in: services) else { return nil }
                services[index] = spec
            }
        }
        // Nothing can fail from here on: commit the new state.
        for replacement in replacements {
            // The replaced version leaves the caches, as a full load's eviction would drop it.
            parsedCache[replacement.old] = nil
            decodedCache[replacement.old] = nil
            parsedCache[replacement.new] = replacement.parsed
            decodedCache[replacement.new] = replacement.decoded
            last.serviceBlobIDs[replacement.new.path] = replacement.new.blobID
        }
        statistics.reusedFiles = last.serviceBlobIDs.count - replacements.count
        lastLoad = statistics
        // Specs are already in name order, and names did not change.
        last.fleet.services = services
        last.fleet.revision = revision
        lastSuccess = last
        return last.fleet
    }

    /// Where the spec named `name` is in `services`, which are sorted by name.
    private static func index(of name: String, in services: [ServiceSpec]) -> Int? {
        var low = 0
        var high = services.count
        while low < high {
            let middle = (low + high) / 2
            if services[middle].name < name { low = middle + 1 } else { high = middle }
        }
        return low < services.count && services[low].name == name ? low : nil
    }

    /// Drops cache entries for files that were not part of this load, once they make up half the cache:
    /// the caches stay within twice the repository's size without being rebuilt on every load.
    private mutating func evictUnused(fleetFile: ManifestFile?, serviceFiles: [ManifestFile]) {
        let used = serviceFiles.count + (fleetFile == nil ? 0 : 1)
        guard parsedCache.count > 2 * used || decodedCache.count > 2 * used else { return }
        var keys: Set<FileKey> = []
        if let fleetFile, let blobID = fleetFile.blobID {
            keys.insert(FileKey(path: fleetFile.path, blobID: blobID, role: .fleet))
        }
        for file in serviceFiles {
            if let blobID = file.blobID { keys.insert(FileKey(path: file.path, blobID: blobID, role: .services)) }
        }
        parsedCache = parsedCache.filter { keys.contains($0.key) }
        decodedCache = decodedCache.filter { keys.contains($0.key) }
    }

    /// One service file to parse (unless `parsed` is already known) and decode.
    struct DecodeWork: Sendable {
        var index: Int
        var parsed: ParsedManifest?
        var decoded: DecodedFile? = nil
    }

    /// Parses and decodes `work`. Each file's work depends only on that file and the defaults.
    private static func decode(
        _ work: inout [DecodeWork], files: [ManifestFile], defaults: YAMLNode?, defaultsFile: String?,
        limits: ManifestLimits
    ) {
        func run(_ item: inout DecodeWork) {
            let file = files[item.index]
            let parsed = item.parsed ?? ParsedManifest(file: file, role: .services, limits: limits)
            item.parsed = parsed
            item.decoded = decode(parsed, defaults: defaults, defaultsFile: defaultsFile, limits: limits)
        }
        // Spreading this over cores (concurrentPerform) was measured slower on the shared 2-core machine:
        // workers contend on the reference counts of the shared defaults nodes. See docs/performance.md.
        for index in work.indices { run(&work[index]) }
    }

    private static func decode(
        _ parsed: ParsedManifest, defaults: YAMLNode?, defaultsFile: String?, limits: ManifestLimits
    ) -> DecodedFile {
        var reader = NodeReader(file: parsed.path, defaultsFile: defaultsFile, limits: limits)
        var services: [DecodedFile.Service] = []
        for document in parsed.services {
            var service = DecodedFile.Service(name: document.name, location: document.nameLocation)
            if let spec = document.spec {
                let merged = defaults.map { DefaultsMerge.merge(defaults: $0, over: spec) } ?? spec
                let result = reader.serviceSpec(merged, name: document.name ?? "", labels: document.labels)
                // A document whose header failed was reported in step 1 and yields no spec.
                service.spec = document.name == nil ? nil : result.spec
                service.dependsOn = result.dependsOn.map { ($0.name, reader.location($0.node)) }
            }
            services.append(service)
        }
        return DecodedFile(services: services, issues: parsed.issues + reader.issues)
    }
}

extension ManifestDecoder {
    /// What the shortcut reload needs to know about the last load that succeeded.
    struct SuccessfulLoad: Sendable {
        var fleet: Fleet
        var fleetFile: FileIdentity?
        var defaultsFingerprint: String
        /// Blob id of every service file, by path.
        var serviceBlobIDs: [String: String]
    }

    struct FileIdentity: Hashable, Sendable {
        var path: String
        var blobID: String?
    }

    struct FileKey: Hashable, Sendable {
        var path: String
        var blobID: String
        var role: ManifestFileRole
    }

    /// A service file after step 2, ready for the checks that span files.
    struct DecodedFile: Sendable {
        struct Service: Sendable {
            var name: String?
            var location: SourceLocation
            var spec: ServiceSpec? = nil
            var dependsOn: [(name: String, location: SourceLocation)] = []
        }

        var services: [Service]
        var issues: [ManifestIssue]

        /// Whether the file defines the same service names, in the same order, each with the same
        /// `dependsOn` names: what the checks that span files look at, locations aside.
        func hasSameNames(as other: DecodedFile) -> Bool {
            services.count == other.services.count
                && zip(services, other.services).allSatisfy { mine, theirs in
                    mine.name == theirs.name && mine.dependsOn.map(\.name) == theirs.dependsOn.map(\.name)
                }
        }
    }
}
