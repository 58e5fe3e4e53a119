import FleetModel
import FleetRuntime
import Foundation

/// Test set-up for runtimes: the built demo binary, temporary state directories, and the ProcessRuntime
/// fixture for ``RuntimeConformance``.
public enum RuntimeFixtures {
    /// The `gitfleet-demo` executable built next to the tests (`.build/<triple>/debug/gitfleet-demo`).
    ///
    /// Looks beside the running test executable first (that is the build products directory), then under the
    /// package's `.build/debug`. Throws, rather than letting a test skip, when the demo has not been built.
    public static func demoBinary(filePath: String = #filePath) throws -> String {
        var candidates: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(productsDirectory(containing: executable))
        }
        candidates.append(productsDirectory(containing: CommandLine.arguments[0]))
        candidates.append(Bundle.main.bundlePath)
        // Sources/GitFleetTesting/RuntimeFixtures.swift → the package root.
        let packageRoot = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        candidates.append("\(packageRoot)/.build/debug")
        for directory in candidates {
            let path = "\(directory)/gitfleet-demo"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw FixtureError(
            "gitfleet-demo is not built; looked in \(candidates.joined(separator: ", ")); run swift build")
    }

    /// The build products directory holding `path`: the directory above any `.xctest` bundle in it.
    static func productsDirectory(containing path: String) -> String {
        var url = URL(fileURLWithPath: path).deletingLastPathComponent()
        while url.path.contains(".xctest") { url = url.deletingLastPathComponent() }
        return url.path
    }

    /// A new empty directory under the system temporary directory.
    public static func temporaryDirectory(_ prefix: String = "gitfleet-runtime") throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return (path as NSString).resolvingSymlinksInPath
    }

    /// A conformance fixture over a fresh ProcessRuntime state directory with the demo image store in it.
    public static func processRuntimeFixture() throws -> RuntimeConformanceFixture {
        let state = try temporaryDirectory()
        let binary = try demoBinary()
        return RuntimeConformanceFixture(
            makeRuntime: { ProcessRuntime(stateDirectory: state) },
            installDemoImage: { tag, files in
                try DemoImage.install(into: ImageStore(root: "\(state)/images"), tag: tag, binary: binary, files: files)
            },
            tearDown: { try? FileManager.default.removeItem(atPath: state) }
        )
    }
}

/// Test set-up that could not be done; says what to do about it.
public struct FixtureError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
