import FleetModel
import Foundation
import SystemPackage

extension ProcessRuntime {
    /// Writes each secret file at its path under the instance's root (`/run/secrets/db` is
    /// `root/run/secrets/db`, which the process finds as `$(GITFLEET_ROOT)/run/secrets/db`), mode 0600.
    ///
    /// The file is created with its mode (never readable by others, not even for a moment) and without
    /// following a symbolic link the image may hold at that name; missing folders are made with mode 0700.
    static func writeSecretFiles(_ files: [String: SecretValue], root: String) throws {
        for (path, value) in files.sorted(by: { $0.key < $1.key }) {
            let target = root + path
            let folder = (target as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw RuntimeError(.io, "cannot make the folder of secret file \(path) in \(root)", cause: error)
            }
            unlink(target)
            do {
                let file = try FileDescriptor.open(
                    FilePath(target), .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
                    permissions: [.ownerReadWrite])
                try file.closeAfter { _ = try file.writeAll(value.bytes) }
            } catch {
                throw RuntimeError(.io, "cannot write secret file \(path) in \(root)", cause: error)
            }
        }
    }
}
