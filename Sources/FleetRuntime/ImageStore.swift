import Crypto
import FleetModel
import Foundation

/// A local image store: a directory per tag, `<root>/<repository>/<tag>/`, holding `image.json`
/// (see ``ImageManifest``) and the image's files.
///
/// A tag's digest is a SHA-256 over a canonical listing of every entry in its directory — sorted relative
/// paths, the executable bit, the SHA-256 of each file's contents, symlink targets — so any change to an
/// image directory is a new digest, and a digest names exactly one content.
public struct ImageStore: Sendable {
    public static let manifestName = "image.json"

    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// The directory holding `repository:tag`.
    public func directory(repository: String, tag: String) -> String {
        "\(root)/\(repository)/\(tag)"
    }

    /// The digest of `repository:tag` as it is on disk now.
    public func digest(repository: String, tag: String) throws -> String {
        let directory = directory(repository: repository, tag: tag)
        guard FileManager.default.fileExists(atPath: "\(directory)/\(ImageStore.manifestName)") else {
            throw RuntimeError(
                .imageNotFound,
                "no image \(repository):\(tag): expected \(directory)/\(ImageStore.manifestName)"
            )
        }
        return try ImageStore.digest(ofDirectory: directory)
    }

    /// The tags of `repository` present in the store, sorted.
    public func tags(repository: String) -> [String] {
        let directory = "\(root)/\(repository)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(directory)/\($0)/\(ImageStore.manifestName)") }
            .sorted()
    }

    /// The directory whose content matches `image`: its tag's directory, or, for a digest-only reference,
    /// the tag directory whose digest is that digest. Checks the digest when the reference carries one.
    public func locate(_ image: ImageReference) throws -> (directory: String, digest: String) {
        if let tag = image.tag {
            let digest = try digest(repository: image.repository, tag: tag)
            if let expected = image.digest, expected != digest {
                throw RuntimeError(
                    .imageChanged,
                    "image \(image.repository):\(tag) changed: it is now \(digest), not \(expected); "
                        + "resolve the tag again to deploy the new content"
                )
            }
            return (directory(repository: image.repository, tag: tag), digest)
        }
        guard let expected = image.digest else {
            throw RuntimeError(.imageNotFound, "image reference \(image) has neither tag nor digest")
        }
        for tag in tags(repository: image.repository) {
            if let digest = try? digest(repository: image.repository, tag: tag), digest == expected {
                return (directory(repository: image.repository, tag: tag), digest)
            }
        }
        throw RuntimeError(.imageNotFound, "no image in \(root)/\(image.repository) has digest \(expected)")
    }

    /// Reads the `image.json` of the image in `directory`.
    public static func manifest(inDirectory directory: String) throws -> ImageManifest {
        let path = "\(directory)/\(manifestName)"
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder().decode(ImageManifest.self, from: data)
        } catch {
            throw RuntimeError(.invalidImage, "cannot read \(path): it must be JSON with an entrypoint", cause: error)
        }
    }

    /// The content digest (`sha256:<hex>`) of everything under `directory`.
    public static func digest(ofDirectory directory: String) throws -> String {
        var listing = ""
        for path in try entries(under: directory) {
            let full = "\(directory)/\(path)"
            var info = stat()
            guard lstat(full, &info) == 0 else {
                throw RuntimeError(.io, "cannot stat \(full): \(String(cString: strerror(errno)))")
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? ""
                listing += "\(path)\0link\0\(target)\n"
            case S_IFREG:
                let executable = info.st_mode & S_IXUSR != 0 ? "x" : "-"
                listing += "\(path)\0\(executable)\0\(try fileDigest(full))\n"
            default:
                continue
            }
        }
        return "sha256:" + Hex.lowercase(SHA256.hash(data: Data(listing.utf8)))
    }

    /// Relative paths of the files and symlinks under `directory`, sorted by their UTF-8 bytes.
    static func entries(under directory: String) throws -> [String] {
        var result: [String] = []
        func walk(_ relative: String) throws {
            let full = relative.isEmpty ? directory : "\(directory)/\(relative)"
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: full)
            } catch {
                throw RuntimeError(.io, "cannot list \(full)", cause: error)
            }
            for name in names {
                let path = relative.isEmpty ? name : "\(relative)/\(name)"
                var info = stat()
                guard lstat("\(directory)/\(path)", &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    try walk(path)
                } else {
                    result.append(path)
                }
            }
        }
        try walk("")
        return result.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
    }

    static func fileDigest(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RuntimeError(.io, "cannot read \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return Hex.lowercase(hasher.finalize())
    }
}
