import FleetModel
import FleetRuntime
import Foundation

/// Test set-up for runtimes: the built demo binary, temporary state directories, and the ProcessRuntime
/// fixture for ``RuntimeConformance``.
public enum RuntimeFixtures {
    /// The `gitfleet-demo` executable built next to the tests; throws, rather than letting a test skip,
    /// when it has not been built.
    public static func demoBinary(filePath: String = #filePath) throws -> String {
        try BuiltProducts.path(of: "gitfleet-demo", filePath: filePath)
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
            makeRuntimeInScope: { scope in ProcessRuntime(stateDirectory: state, scope: scope) },
            installDemoImage: { tag, files in
                try DemoImage.install(into: ImageStore(root: "\(state)/images"), tag: tag, binary: binary, files: files)
            },
            tearDown: { try? FileManager.default.removeItem(atPath: state) }
        )
    }

    /// A conformance fixture over a fresh ``ScriptedHost`` on the system clock, whose instances listen on
    /// loopback (the suite's requests and its grace period are real).
    public static func scriptedRuntimeFixture() -> RuntimeConformanceFixture {
        let host = ScriptedHost()
        return RuntimeConformanceFixture(
            makeRuntime: { ScriptedRuntime(host: host) },
            makeRuntimeInScope: { scope in ScriptedRuntime(host: host, scope: scope) },
            installDemoImage: { tag, files in host.installDemoImage(tag: tag, files: files) },
            tearDown: {}
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
