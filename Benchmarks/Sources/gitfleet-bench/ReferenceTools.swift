import Foundation

/// The references written in Python (Benchmarks/reference/), and the virtual environment they run in.
///
/// The environment lives in the root package's `.build/bench-tools` (like the browser test's tools in
/// `.build/browser-tools`) and is made on first use with `python3 -m venv` and pip from PyPI, so a clean clone
/// needs nothing but Debian's python3 and python3-venv (both on the test suite's install line).
enum ReferenceTools {
    /// What the environment holds: python-etcd3 and the protobuf runtime its generated code was made for.
    static let requirements = ["etcd3==0.12.0", "protobuf<4"]

    /// The repository's root, from this file's place in it.
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static func script(_ name: String) -> String {
        root.appendingPathComponent("Benchmarks/reference/\(name)").path
    }

    /// The environment's python, made (once) with the requirements installed.
    static func python() throws -> String {
        let environment = root.appendingPathComponent(".build/bench-tools")
        let python = environment.appendingPathComponent("bin/python").path
        let stamp = environment.appendingPathComponent("requirements.txt")
        let wanted = requirements.joined(separator: "\n")
        if FileManager.default.isExecutableFile(atPath: python),
            (try? String(contentsOf: stamp, encoding: .utf8)) == wanted
        {
            return python
        }
        print(
            "setting up the Python references in \(environment.path) (python3 -m venv, pip install \(requirements.joined(separator: " ")))"
        )
        _ = try run("/usr/bin/python3", ["-m", "venv", environment.path])
        _ = try run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + requirements)
        try wanted.write(to: stamp, atomically: true, encoding: .utf8)
        return python
    }

    /// Runs `executable` to its end and returns its standard output; a failure carries its standard error.
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchmarkError(
                "\(executable) \(arguments.joined(separator: " ")) failed (exit \(process.terminationStatus)): "
                    + String(decoding: errorData.suffix(2_000), as: UTF8.self))
        }
        return String(decoding: outputData, as: UTF8.self)
    }
}

/// The package's other executables, built by the same `swift build -c release` as gitfleet-bench, next to it.
enum BuiltProduct {
    static func path(_ name: String) throws -> String {
        let bench = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let path = bench.deletingLastPathComponent().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchmarkError("\(path) is missing: build every product with `swift build -c release`")
        }
        return path
    }
}
