import ArgumentParser
import FleetRuntime
import Foundation

/// `gitfleet demo-images`: installs the demo service's images into a state directory's image store,
/// so a demo fleet can run with nothing else installed.
struct DemoImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-images",
        abstract: "Install images of the demo service (demo/web, demo/api) into the image store.",
        discussion: """
            Installs demo/web and demo/api at 1.0.0, 1.1.0 and 2.0.0, and demo/web:broken, whose health check always fails \
            (for trying a rollback). Each image holds a copy of the gitfleet-demo binary and VERSION=<tag>.
            """
    )

    @Option(name: .long, help: "The state directory whose image store receives the images.")
    var stateDir: String

    @Option(name: .long, help: "The gitfleet-demo binary (default: next to this gitfleet).")
    var binary: String?

    func run() throws {
        let binary = binary ?? Self.siblingBinary()
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Terminal.error(
                "error: no gitfleet-demo binary at \(binary) (build it with 'swift build', or pass --binary)")
            throw CommandFailure()
        }
        let store = ImageStore(root: "\(stateDir)/images")
        for repository in ["demo/web", "demo/api"] {
            for tag in ["1.0.0", "1.1.0", "2.0.0"] {
                let image = try DemoImage.install(into: store, repository: repository, tag: tag, binary: binary)
                Terminal.out("installed \(image)")
            }
        }
        let broken = try DemoImage.install(
            into: store, tag: "broken", binary: binary, env: ["VERSION": "broken", "DEMO_FAIL_HEALTH": "1"])
        Terminal.out("installed \(broken) (fails its health check)")
    }

    /// `gitfleet-demo` next to the running `gitfleet` (found through /proc, so it works however gitfleet was
    /// started: from PATH, a relative path or a symlink), else the first one on PATH.
    static func siblingBinary() -> String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let sibling = URL(fileURLWithPath: executable).deletingLastPathComponent()
            .appendingPathComponent("gitfleet-demo").path
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        return ProcessSpawner.search("gitfleet-demo") ?? sibling
    }
}
