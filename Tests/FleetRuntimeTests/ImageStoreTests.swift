import Foundation
import GitFleetTesting
import Testing

@testable import FleetRuntime

@Suite("ImageStore digests")
struct ImageStoreTests {
    /// Builds a directory from `files` (path → (contents, executable)) and returns its digest.
    func digest(_ files: [String: (String, Bool)]) throws -> String {
        let directory = try RuntimeFixtures.temporaryDirectory("gitfleet-image")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (path, (contents, executable)) in files {
            let url = URL(fileURLWithPath: "\(directory)/\(path)")
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: url)
            try FileManager.default.setAttributes(
                [.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
        }
        return try ImageStore.digest(ofDirectory: directory)
    }

    @Test func digestCoversContentPathsAndExecutableBit() throws {
        let base = try digest(["image.json": ("{}", false), "bin/app": ("v1", true)])
        #expect(base.hasPrefix("sha256:") && base.count == 71)
        #expect(try digest(["bin/app": ("v1", true), "image.json": ("{}", false)]) == base, "stable across runs")
        #expect(try digest(["image.json": ("{}", false), "bin/app": ("v2", true)]) != base, "content")
        #expect(try digest(["image.json": ("{}", false), "bin/app": ("v1", false)]) != base, "executable bit")
        #expect(try digest(["image.json": ("{}", false), "bin/app2": ("v1", true)]) != base, "path")
        #expect(
            try digest(["image.json": ("{}", false), "bin/app": ("v1", true), "extra": ("", false)]) != base,
            "an added file"
        )
    }
}
