import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A controller killed at any instant must leave the registry holding whole commits only.
///
/// The test binary runs itself again as the writer (``SQLiteRegistryCrashWriter`` in child mode), lets it
/// commit, SIGKILLs it at an arbitrary moment and checks the file holds exactly one whole pair. Three kills
/// in a row, each writer resuming from what the last one left, as a restarted controller would.
@Suite struct SQLiteRegistryCrashTests {
    @Test func killedWriterLeavesOnlyWholeCommits() async throws {
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        let path = directory.file()
        var lastRound = -1
        for attempt in 1...5 {
            let log = directory.url.appendingPathComponent("writer-\(attempt).log")
            let writer = try SQLiteRegistryCrashWriter.spawn(path: path, log: log)
            let target = lastRound + 100
            let observer = try SQLiteRegistry(path: path)
            let deadline = Date().addingTimeInterval(120)
            var observed = -1
            while writer.isRunning, observed < target, Date() < deadline {
                observed = (try? await observer.rolloutState(service: "web"))??.record.step ?? -1
                try await Task.sleep(for: .milliseconds(5))
            }
            try await observer.close()
            // A random pause so that the kill lands at a different point of a commit each time.
            try await Task.sleep(for: .microseconds(Int.random(in: 0..<20_000)))
            let wasRunning = writer.isRunning
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            try #require(wasRunning, "the writer exited on its own:\n\(output.suffix(2_000))")
            try #require(observed >= target, "the writer made no progress in time:\n\(output.suffix(2_000))")
            #expect(writer.terminationReason == .uncaughtSignal)

            let reopened = try SQLiteRegistry(path: path)
            let snapshot = try await reopened.snapshot()
            try await reopened.close()
            let round = try #require(RegistryConformance.expectWholePair(in: snapshot))
            #expect(round >= observed, "a commit the observer saw was lost")
            lastRound = round
        }
    }
}

/// The writer killed by ``SQLiteRegistryCrashTests``: commits ``RegistryConformance/pairSwap(round:previousVersion:)``
/// rounds, resuming from whatever the registry holds.
///
/// Run normally, it writes a bounded number of rounds twice, reopening in between, and checks each commit.
/// Run as a child (the environment names a registry file), it writes until killed, or for two minutes at most
/// so that an orphan never outlives a crashed test run.
@Suite struct SQLiteRegistryCrashWriter {
    static let pathVariable = "GITFLEET_REGISTRY_CRASH_WRITER_PATH"

    @Test func writerResumesAndKeepsOnePair() async throws {
        if let path = ProcessInfo.processInfo.environment[Self.pathVariable] {
            try await Self.write(path: path, rounds: nil, until: Date().addingTimeInterval(120))
            return
        }
        let directory = try TemporaryRegistryDirectory()
        defer { directory.remove() }
        try await Self.write(path: directory.file(), rounds: 15, until: .distantFuture, checkEachCommit: true)
        try await Self.write(path: directory.file(), rounds: 15, until: .distantFuture, checkEachCommit: true)
        let registry = try SQLiteRegistry(path: directory.file())
        #expect(RegistryConformance.expectWholePair(in: try await registry.snapshot()) == 29)
        try await registry.close()
    }

    static func write(path: String, rounds: Int?, until deadline: Date, checkEachCommit: Bool = false) async throws {
        let registry = try SQLiteRegistry(path: path)
        let resumed = try await registry.rolloutState(service: "web")
        var round = resumed.map { $0.record.step + 1 } ?? 0
        var previous = resumed?.version
        let end = rounds.map { round + $0 } ?? Int.max
        while round < end, Date() < deadline {
            previous = try await registry.commit(RegistryConformance.pairSwap(round: round, previousVersion: previous))
            if checkEachCommit {
                #expect(RegistryConformance.expectWholePair(in: try await registry.snapshot()) == round)
            }
            round += 1
        }
        try await registry.close()
    }

    /// Starts this test binary again, running only this suite, in child mode on `path`.
    static func spawn(path: String, log: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["--testing-library", "swift-testing", "--filter", "SQLiteRegistryCrashWriter"]
        var environment = ProcessInfo.processInfo.environment
        environment[pathVariable] = path
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }
}
