import FleetModel
import FleetRuntime
import Foundation

/// Container images for the tests, built from files on this machine so no registry is needed: a root
/// filesystem holding busybox-static (`/bin/busybox` with `sh`, `httpd`, `nc`, `sleep`... linked to it) and
/// the built `gitfleet-demo` with the shared libraries it loads, imported into a ``PodmanEngine``.
public final class ContainerImages: Sendable {
    public static let busybox = "/bin/busybox"
    public static let demoRepository = "localhost/demo/web"

    let engine: PodmanEngine
    let root: String

    /// Lays out the root filesystem once under the engine's directory.
    public init(engine: PodmanEngine, demoBinary: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.busybox) else {
            throw FixtureError("\(Self.busybox) is missing; install Debian's busybox-static")
        }
        self.engine = engine
        root = engine.directory.appending("rootfs")
        let fileManager = FileManager.default
        do {
            for folder in ["bin", "lib", "lib64", "tmp", "etc"] {
                try fileManager.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
            }
            try fileManager.copyItem(atPath: Self.busybox, toPath: "\(root)/bin/busybox")
            for applet in ["sh", "httpd", "nc", "sleep", "cat", "echo", "ls", "id", "wget"] {
                try fileManager.createSymbolicLink(atPath: "\(root)/bin/\(applet)", withDestinationPath: "busybox")
            }
            try fileManager.copyItem(atPath: demoBinary, toPath: "\(root)/bin/gitfleet-demo")
            let ldd = try BuiltProducts.runBlocking("/usr/bin/ldd", [demoBinary])
            guard ldd.status == 0 else { throw FixtureError("ldd \(demoBinary) failed: \(ldd)") }
            for line in ldd.standardOutput.split(separator: "\n") {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard let first = words.first else { continue }
                // Copied from what each link points at: a link into the host's folders would dangle in the image.
                if first.hasPrefix("/") {
                    // The loader, named by the absolute path the binary asks for (ldd may add "=> target").
                    let loader = String(first)
                    try fileManager.createDirectory(
                        atPath: "\(root)\((loader as NSString).deletingLastPathComponent)",
                        withIntermediateDirectories: true)
                    try? fileManager.removeItem(atPath: "\(root)\(loader)")
                    try fileManager.copyItem(atPath: Self.target(of: loader), toPath: "\(root)\(loader)")
                } else if let arrow = words.firstIndex(of: "=>"), arrow + 1 < words.count,
                    words[arrow + 1].hasPrefix("/")
                {
                    let library = String(words[arrow + 1])
                    let name = (library as NSString).lastPathComponent
                    try fileManager.copyItem(atPath: Self.target(of: library), toPath: "\(root)/lib/\(name)")
                }
            }
            try "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n".write(
                toFile: "\(root)/etc/passwd", atomically: true, encoding: .utf8)
        } catch let error as FixtureError {
            throw error
        } catch {
            throw FixtureError("cannot lay out the test image's root filesystem in \(root): \(error)")
        }
    }

    /// The file `path` names, with every symbolic link on the way followed.
    static func target(of path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Imports (or re-imports) the demo image as `localhost/demo/web:<tag>` with `VERSION=<tag>`, extra `env`,
    /// and extra `files` (relative path → contents) that give it other content. Returns it unpinned.
    @discardableResult
    public func installDemo(
        tag: String, env: [String: String] = [:], files: [String: String] = [:]
    ) async throws -> ImageReference {
        let extra = engine.directory.appending("extra-\(UUID().uuidString.prefix(8))")
        let tarball = extra + ".tar"
        defer {
            try? FileManager.default.removeItem(atPath: extra)
            try? FileManager.default.removeItem(atPath: tarball)
        }
        var tarArguments = ["-cf", tarball, "-C", root, "."]
        if !files.isEmpty {
            for (path, contents) in files {
                let url = URL(fileURLWithPath: "\(extra)/\(path)")
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(contents.utf8).write(to: url)
            }
            // Named one by one: a second "." would add the root directory twice, which the engine refuses.
            let entries = try FileManager.default.contentsOfDirectory(atPath: extra).sorted()
            tarArguments += ["-C", extra] + entries
        }
        let tar = try await BuiltProducts.run("/bin/tar", tarArguments)
        guard tar.status == 0 else { throw FixtureError("tar of the test image failed: \(tar)") }
        let environment = ["VERSION": tag, "PATH": "/bin", "LD_LIBRARY_PATH": "/lib"].merging(env) { _, extra in extra }
        let changes =
            environment.keys.sorted().map { "ENV \($0)=\(environment[$0]!)" } + ["CMD [\"/bin/gitfleet-demo\"]"]
        try await engine.importImage(tarball: tarball, reference: "\(Self.demoRepository):\(tag)", changes: changes)
        return ImageReference(repository: Self.demoRepository, tag: tag)
    }

    /// Copies `reference` to `other` with `podman save` and `podman load`, which keep the image id, so two
    /// engines hold the same content under the same id (as hosts pulling from one registry would).
    public func copy(_ reference: ImageReference, to other: PodmanEngine) async throws {
        let archive = engine.directory.appending("copy-\(UUID().uuidString.prefix(8)).tar")
        defer { try? FileManager.default.removeItem(atPath: archive) }
        let name = "\(reference.repository):\(reference.tag ?? "latest")"
        let saved = try await engine.podman(["save", "--format", "docker-archive", "-o", archive, name])
        guard saved.status == 0 else { throw FixtureError("podman save of \(name) failed: \(saved)") }
        let loaded = try await other.podman(["load", "-i", archive])
        guard loaded.status == 0 else { throw FixtureError("podman load of \(name) failed: \(loaded)") }
    }
}
