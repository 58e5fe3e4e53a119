import FleetController
import FleetGit
import FleetModel
import Foundation

/// (a) cold load of 10,000 service files against the git CLI, and (b) reload after one file changed.
enum LoadBenchmarks {
    static func coldLoad(services: Int, runs: Int) throws {
        print("== load: cold load and validation of \(services) service files ==")
        print("load average at start: \(loadAverage())")
        let (fixture, setup) = try timed { try FixtureRepository.create(services: services) }
        defer { fixture.remove() }
        print("fixture: \(fixture.path) (git fast-import, \(Timings.format(setup)))")
        let commit = try commitID(fixture.first)

        var ours = Timings(label: "ours  DesiredStateSource.fleet(at:) cold")
        var git = Timings(label: "git   ls-tree -r | cat-file --batch   ")
        // One untimed run each first, so both start from a warm page cache.
        _ = try loadCold(fixture.path, commit)
        _ = try GitCLIReference.readServices(repository: fixture.path, commit: fixture.first)
        for _ in 0..<runs {
            let (fleet, seconds) = try timed { try loadCold(fixture.path, commit) }
            guard fleet.services.count == services else {
                throw BenchmarkFailure("loaded \(fleet.services.count) services, expected \(services)")
            }
            ours.seconds.append(seconds)
            let (bytes, gitSeconds) = try timed {
                try GitCLIReference.readServices(repository: fixture.path, commit: fixture.first)
            }
            guard bytes > 0 else { throw BenchmarkFailure("git cat-file read nothing") }
            git.seconds.append(gitSeconds)
        }
        try LoadBreakdown.print(repository: fixture.path, commit: commit)
        print(ours.summary)
        print(git.summary)
        let ratio = ours.median / git.median
        print(String(format: "ratio ours/git (medians): %.2f× — target ≤ 1.5×: %@", ratio, verdict(ratio <= 1.5)))
        print(String(format: "per file: %.1f µs", ours.median / Double(services) * 1e6))
        ProcessMemory.report()
        print("load average at end: \(loadAverage())")
        BenchRow(
            id: "cold-load", benchmark: "cold load, \(services.grouped) manifests, vs git ls-tree + cat-file",
            measured: String(
                format: "%@ vs git %@ = %.2f×", Timings.format(ours.median), Timings.format(git.median), ratio),
            target: "≤ 1.5×", met: ratio <= 1.5
        ).emit()
    }

    static func reload(services: Int, runs: Int) throws {
        print("== reload: one of \(services) service files changed ==")
        let fixture = try FixtureRepository.create(services: services, changes: runs)
        defer { fixture.remove() }
        let first = try commitID(fixture.first)
        let repository = try GitRepository.open(at: fixture.path)
        let source = DesiredStateSource(repository: repository)
        let (_, coldSeconds) = try timed { try source.fleet(at: first) }
        print("initial cold load (untimed in the figures below): \(Timings.format(coldSeconds))")

        // Each run follows the branch one commit further, as a controller does: one new file each time.
        var timings = Timings(label: "reload of the next commit (warm source)")
        for change in fixture.changes {
            let commit = try commitID(change)
            let (fleet, seconds) = try timed { try source.fleet(at: commit) }
            guard fleet.services.count == services else { throw BenchmarkFailure("lost services on reload") }
            let load = source.lastLoad
            guard load.parsedFiles <= 1, load.decodedFiles == 1 else {
                throw BenchmarkFailure("reload parsed \(load.parsedFiles) and decoded \(load.decodedFiles) files")
            }
            timings.seconds.append(seconds)
        }
        print(timings.summary)
        print("files decoded per reload: \(source.lastLoad.decodedFiles), reused: \(source.lastLoad.reusedFiles)")
        print("target ≤ 50 ms median: \(verdict(timings.median <= 0.050))")
        ProcessMemory.report()
    }

    /// A fresh repository handle and source: nothing cached from an earlier run.
    static func loadCold(_ path: String, _ commit: CommitID) throws -> Fleet {
        let repository = try GitRepository.open(at: path)
        return try DesiredStateSource(repository: repository).fleet(at: commit)
    }

    static func commitID(_ hex: String) throws -> CommitID {
        guard let id = CommitID(hex: hex) else { throw BenchmarkFailure("'\(hex)' is not a commit id") }
        return id
    }
}
