import Foundation

/// A fresh directory under the system's temporary directory, removed by ``remove()``.
struct TemporaryRegistryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("gitfleet-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory for a registry file.
    func file(_ name: String = "registry.sqlite") -> String {
        url.appendingPathComponent(name).path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
