import FleetGit
import FleetModel

/// Where a cold load's time goes, phase by phase, through the public APIs the source itself uses.
enum LoadBreakdown {
    static func print(repository path: String, commit: CommitID) throws {
        let repository = try GitRepository.open(at: path)
        let (entries, listing) = try timed { try repository.files(at: commit, under: "services") }
        let (files, reading) = try timed {
            try entries.map {
                ManifestFile(
                    path: $0.path, contents: try repository.contents(of: $0, maxSize: 1 << 20), blobID: $0.blobID)
            }
        }
        var decoder = ManifestDecoder()
        let (_, parsing) = timed { for file in files { _ = decoder.parse(file) } }
        let (_, decoding) = timed { _ = decoder.fleet(fleetFile: nil, serviceFiles: files) }
        Swift.print(
            "breakdown: list tree \(Timings.format(listing)), read blobs \(Timings.format(reading)),"
                + " parse (compose + document checks) \(Timings.format(parsing)),"
                + " decode + cross-file checks \(Timings.format(decoding))")
    }
}
