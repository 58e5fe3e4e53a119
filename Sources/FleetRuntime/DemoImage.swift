import FleetModel
import Foundation

/// The demo service packaged as an image in a ``ImageStore``: `<store>/<repository>/<tag>/` with
/// `bin/gitfleet-demo` and an `image.json` that runs it with `VERSION=<tag>`.
///
/// Shared by the CLI's demo set-up and the tests so both run the same image shape.
public enum DemoImage {
    public static let defaultRepository = "demo/web"

    /// Installs (or replaces) the demo image and returns its reference (unpinned: resolve it).
    ///
    /// - Parameters:
    ///   - binary: path of the built `gitfleet-demo` executable.
    ///   - env: extra image env, merged over `VERSION`.
    ///   - files: extra files (relative path → contents), for example to make a different digest.
    @discardableResult
    public static func install(
        into store: ImageStore,
        repository: String = defaultRepository,
        tag: String,
        binary: String,
        env: [String: String] = [:],
        files: [String: String] = [:]
    ) throws -> ImageReference {
        let directory = store.directory(repository: repository, tag: tag)
        let fileManager = FileManager.default
        do {
            try? fileManager.removeItem(atPath: directory)
            try fileManager.createDirectory(atPath: "\(directory)/bin", withIntermediateDirectories: true)
            try fileManager.copyItem(atPath: binary, toPath: "\(directory)/bin/gitfleet-demo")
            let manifest = ImageManifest(
                entrypoint: ["bin/gitfleet-demo"],
                env: ["VERSION": tag].merging(env) { _, extra in extra }
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(manifest).write(to: URL(fileURLWithPath: "\(directory)/\(ImageStore.manifestName)"))
            for (path, contents) in files {
                let url = URL(fileURLWithPath: "\(directory)/\(path)")
                try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(contents.utf8).write(to: url)
            }
        } catch {
            throw RuntimeError(.io, "cannot install the demo image into \(directory) from \(binary)", cause: error)
        }
        return ImageReference(repository: repository, tag: tag)
    }
}
