import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// A single-member etcd, the common case of ``EtcdCluster``.
public typealias EtcdServer = EtcdCluster

/// Real etcd for tests: one or more members on free loopback ports, each with its own data directory in one
/// temporary folder, stopped and removed by ``stop()``. A member can be stopped and started again on its
/// data, to take a member (or, for a single member, etcd itself) away in the middle of a test.
///
/// Needs `/usr/bin/etcd` (Debian: `etcd-server`); when it is missing or does not come up, `init` throws an
/// error saying why, so a test never passes by skipping etcd.
public final class EtcdCluster: @unchecked Sendable {
    public struct Member: Sendable {
        public let name: String
        public let clientURL: String
        let peerURL: String
        let metricsURL: String
    }

    /// The server's certificate and key, and the CA client certificates must be signed by.
    public struct TLSFiles: Sendable {
        public var caFile: String
        public var certificateFile: String
        public var keyFile: String

        public init(caFile: String, certificateFile: String, keyFile: String) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    public let members: [Member]
    private let directory: TemporaryDirectory
    private let lock = NSLock()
    private var processes: [SpawnedProcess?]

    public static let executable = "/usr/bin/etcd"

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The first member's client URL, e.g. `http://127.0.0.1:41234`.
    public var clientURL: String { members[0].clientURL }
    /// Every member's client URL, in member order.
    public var clientURLs: [String] { members.map(\.clientURL) }

    /// Arguments every member gets besides its name, URLs and cluster (TLS files, say).
    private let extraArguments: [String]

    /// Starts `size` members and waits (up to `timeout` seconds) until each reports healthy. With `tls`, the
    /// client URLs are https and clients must present a certificate signed by the same CA; health is then
    /// read from a plain-http metrics URL.
    public init(size: Int = 1, tls: TLSFiles? = nil, timeout: TimeInterval = 60) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw StartError(
                description:
                    "\(Self.executable) is missing; install Debian's etcd-server (apt-get install etcd-server).")
        }
        directory = try TemporaryDirectory(prefix: "gitfleet-etcd")
        let scheme = tls == nil ? "http" : "https"
        members = try (0..<size).map { index in
            Member(
                name: "m\(index)", clientURL: "\(scheme)://127.0.0.1:\(try Self.freePort())",
                peerURL: "http://127.0.0.1:\(try Self.freePort())",
                metricsURL: "http://127.0.0.1:\(try Self.freePort())")
        }
        extraArguments =
            tls.map {
                [
                    "--cert-file", $0.certificateFile, "--key-file", $0.keyFile, "--trusted-ca-file", $0.caFile,
                    "--client-cert-auth",
                ]
            } ?? []
        processes = Array(repeating: nil, count: size)
        do {
            for index in members.indices { try launch(index) }
            for index in members.indices { try await waitUntilHealthy(index, timeout: timeout) }
        } catch {
            stop()
            throw error
        }
    }

    deinit {
        stop()
    }

    /// Stops every member (SIGTERM, then SIGKILL) and removes the data. Idempotent.
    public func stop() {
        for index in members.indices { stopMember(index) }
        directory.remove()
    }

    /// Stops one member and keeps its data, so ``startMember(_:timeout:)`` can bring it back.
    public func stopMember(_ index: Int) {
        let process = lock.withLock {
            defer { processes[index] = nil }
            return processes[index]
        }
        process?.stop()
    }

    /// Starts a stopped member again on its data and waits until it reports healthy.
    public func startMember(_ index: Int, timeout: TimeInterval = 60) async throws {
        try launch(index)
        try await waitUntilHealthy(index, timeout: timeout)
    }

    private func launch(_ index: Int) throws {
        let member = members[index]
        let cluster = members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        let process = try SpawnedProcess(
            executable: Self.executable,
            arguments: [
                "--name", member.name, "--data-dir", directory.appending("data-\(member.name)"),
                "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
                "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
                "--initial-cluster", cluster, "--initial-cluster-state", "new",
                "--initial-cluster-token", "gitfleet-test", "--listen-metrics-urls", member.metricsURL,
            ] + extraArguments,
            logPath: directory.appending("etcd-\(member.name).log"))
        lock.withLock { processes[index] = process }
    }

    private func waitUntilHealthy(_ index: Int, timeout: TimeInterval) async throws {
        guard let process = lock.withLock({ processes[index] }) else { return }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = process.exitCode {
                throw StartError(
                    description: "etcd \(members[index].name) exited with status \(status) while starting:\n"
                        + process.logTail())
            }
            if await healthy(members[index].metricsURL) { return }
            if Date() > deadline {
                throw StartError(
                    description: "etcd \(members[index].name) did not report healthy within \(Int(timeout)) s:\n"
                        + process.logTail())
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The client URL of a member that runs, for the direct reads and writes below.
    private var runningClientURL: String {
        lock.withLock { members.indices.first { processes[$0] != nil }.map { members[$0].clientURL } }
            ?? clientURL
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

    /// Every key under `prefix` with its value, read directly.
    public func values(under prefix: String) async throws -> [String: String] {
        var end = Array(prefix.utf8)
        end[end.count - 1] += 1
        let answer = try await post(
            "/v3/kv/range",
            ["key": Data(prefix.utf8).base64EncodedString(), "range_end": Data(end).base64EncodedString()])
        var values: [String: String] = [:]
        for kv in answer["kvs"] as? [[String: Any]] ?? [] {
            guard let key = (kv["key"] as? String).flatMap({ Data(base64Encoded: $0) }) else { continue }
            let value = (kv["value"] as? String).flatMap { Data(base64Encoded: $0) } ?? Data()
            values[String(decoding: key, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
        }
        return values
    }

    private func post(_ path: String, _ body: [String: String]) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: runningClientURL + path)!)
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

    private func healthy(_ metricsURL: String) async -> Bool {
        guard let url = URL(string: metricsURL + "/health"),
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
