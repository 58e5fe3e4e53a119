import Foundation

extension ProcessIdentity {
    /// The process that carries `GITFLEET_INSTANCE_ID=<instanceID>` in its environment, found by
    /// scanning `/proc`. Used only for a start that was interrupted between the spawn and recording the
    /// pid, so that the process is adopted instead of a second one being started beside it.
    static func find(instanceID: String) -> Int32? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        let marker = Array("GITFLEET_INSTANCE_ID=\(instanceID)".utf8)
        for entry in entries {
            guard let pid = Int32(entry), pid > 1,
                let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { continue }
            // The environment is NUL-separated NAME=value entries.
            if environ.split(separator: 0).contains(where: { $0.elementsEqual(marker) }) { return pid }
        }
        return nil
    }
}
