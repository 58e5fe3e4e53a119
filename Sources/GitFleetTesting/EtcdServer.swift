import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// A real, single-member etcd for tests: its own data directory and free loopback ports, stopped and
/// removed by ``stop()``.
///
/// Needs `/usr/bin/etcd` (Debian: `etcd-server`); when it is missing or does not come up, `init` throws an
/// error saying why, so a test never passes by skipping etcd.
public final class EtcdServer: Sendable {
    /// The client URL, e.g. `http://127.0.0.1:41234`.
    public let clientURL: String
    private let process: SpawnedProcess
    private let directory: TemporaryDirectory

    public static let executable = "/usr/bin/etcd"

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts etcd and waits (up to `timeout` seconds) until `/health` reports it healthy.
    public init(timeout: TimeInterval = 60) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw StartError(
                description:
                    "\(Self.executable) is missing; install Debian's etcd-server (apt-get install etcd-server).")
        }
        directory = try TemporaryDirectory(prefix: "gitfleet-etcd")
        let clientPort = try Self.freePort()
        let peerPort = try Self.freePort()
        clientURL = "http://127.0.0.1:\(clientPort)"
        let peerURL = "http://127.0.0.1:\(peerPort)"
        process = try SpawnedProcess(
            executable: Self.executable,
            arguments: [
                "--name", "test", "--data-dir", directory.appending("data"),
                "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
                "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
                "--initial-cluster", "test=\(peerURL)", "--initial-cluster-state", "new",
            ],
            logPath: directory.appending("etcd.log"))

        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = process.exitCode {
                let log = process.logTail()
                stop()
                throw StartError(description: "etcd exited with status \(status) while starting:\n\(log)")
            }
            if await healthy() { return }
            if Date() > deadline {
                let log = process.logTail()
                stop()
                throw StartError(description: "etcd did not report healthy within \(Int(timeout)) s:\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    deinit {
        stop()
    }

    /// Stops etcd (SIGTERM, then SIGKILL) and removes its data. Idempotent.
    public func stop() {
        process.stop()
        directory.remove()
    }

    /// Puts `value` at `key` directly (outside any registry) and returns the revision it was written at, which
    /// is the key's `create_revision` when the key was new.
    @discardableResult
    public func put(_ key: String, _ value: String) async throws -> Int64 {
        let answer = try await post(
            "/v3/kv/put",
            ["key": Data(key.utf8).base64EncodedString(), "value": Data(value.utf8).base64EncodedString()])
        return try Self.revision(answer)
    }

    /// Deletes `key` directly and returns the revision after the delete.
    @discardableResult
    public func delete(_ key: String) async throws -> Int64 {
        try Self.revision(try await post("/v3/kv/deleterange", ["key": Data(key.utf8).base64EncodedString()]))
    }

    private func post(_ path: String, _ body: [String: String]) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: clientURL + path)!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200,
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw StartError(description: "etcd \(path) failed: \(String(decoding: data, as: UTF8.self))")
        }
        return object
    }

    private static func revision(_ answer: [String: Any]) throws -> Int64 {
        guard let header = answer["header"] as? [String: Any], let text = header["revision"] as? String,
            let revision = Int64(text)
        else { throw StartError(description: "etcd answered without a revision: \(answer)") }
        return revision
    }

    private func healthy() async -> Bool {
        guard let url = URL(string: clientURL + "/health"),
            let (data, _) = try? await URLSession.shared.data(from: url),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return object["health"] as? String == "true"
    }

    /// A loopback TCP port that was free a moment ago (the kernel's pick for port 0).
    static func freePort() throws -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, length) == 0 && getsockname(socketFD, $0, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
