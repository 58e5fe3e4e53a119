import FleetRuntime
import Foundation

/// The package's executables as built next to the tests, and a way to run them as a user would.
public enum BuiltProducts {
    /// The path of executable `name` in the build products directory.
    ///
    /// Looks beside the running test executable first (that is the build products directory), then
    /// under the package's `.build/debug`. Throws, rather than letting a test skip, when it is not built.
    public static func path(of name: String, filePath: String = #filePath) throws -> String {
        var candidates: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(productsDirectory(containing: executable))
        }
        candidates.append(productsDirectory(containing: CommandLine.arguments[0]))
        candidates.append(Bundle.main.bundlePath)
        // Sources/GitFleetTesting/BuiltProducts.swift → the package root.
        let packageRoot = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        candidates.append("\(packageRoot)/.build/debug")
        for directory in candidates {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw FixtureError("\(name) is not built; looked in \(candidates.joined(separator: ", ")); run swift build")
    }

    /// The build products directory holding `path`: the directory above any `.xctest` bundle in it.
    static func productsDirectory(containing path: String) -> String {
        var url = URL(fileURLWithPath: path).deletingLastPathComponent()
        while url.path.contains(".xctest") { url = url.deletingLastPathComponent() }
        return url.path
    }

    /// What a finished command said and how it ended.
    public struct Outcome: Sendable, CustomStringConvertible {
        public var status: Int32
        /// True when it was killed by a signal; `status` is then the signal number.
        public var signaled: Bool
        public var standardOutput: String
        public var standardError: String

        public var description: String {
            "exit \(signaled ? "by signal " : "")\(status)\nstdout:\n\(standardOutput)\nstderr:\n\(standardError)"
        }
    }

    /// Runs `gitfleet` with `arguments` in `directory` and waits for it, whatever its exit status.
    public static func gitfleet(
        _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]
    ) async throws -> Outcome {
        try await run(try path(of: "gitfleet"), arguments, in: directory, environment: environment)
    }

    /// Runs an executable and waits for it, whatever its exit status.
    ///
    /// Through swift-subprocess (``BoundedCommand``), so the wait holds no thread of the Swift concurrency
    /// pool (one per core: tests blocked in a subprocess would starve every other task, a probe polling
    /// during a rollout, say), and the child gets a clean signal mask rather than the test runner's blocked
    /// SIGTERM. The bounds only guard a test run against a runaway command.
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]
    ) async throws -> Outcome {
        let outcome = try await BoundedCommand(
            executable: executable, arguments: arguments, environmentOverrides: environment,
            workingDirectory: directory, keep: .head(64 << 20), timeout: .seconds(900)
        ).run()
        let (status, signaled): (Int32, Bool) =
            switch outcome.status {
            case .exited(let code): (code, false)
            case .signaled(let signal): (signal, true)
            }
        return Outcome(
            status: status, signaled: signaled, standardOutput: String(decoding: outcome.output, as: UTF8.self),
            standardError: String(decoding: outcome.errors, as: UTF8.self))
    }

    /// Runs an executable and blocks until it exits; for synchronous set-up code only.
    public static func runBlocking(
        _ executable: String, _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errorData = FileHandleReader(errors.fileHandleForReading)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData.finish(), as: UTF8.self))
    }
}
