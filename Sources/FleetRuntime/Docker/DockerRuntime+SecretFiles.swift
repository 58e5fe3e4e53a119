import AsyncHTTPClient
import FleetModel
import Foundation
import NIOCore

extension DockerRuntime {
    /// Puts the launch's secret files into the created container before it starts (`PUT /containers/{id}/archive`):
    /// they exist only inside the container, with mode 0600, owned by the numeric `resources.user` (else root),
    /// and nothing is left on the engine's host. A container that cannot take them is removed.
    func uploadSecretFiles(_ launch: InstanceLaunch, into id: String, on host: DockerHost) async throws {
        guard !launch.secretFiles.isEmpty else { return }
        let owner = SecretArchive.owner(of: launch.resources.user)
        var archive = SecretArchive()
        for (path, value) in launch.secretFiles.sorted(by: { $0.key < $1.key }) {
            archive.append(path: String(path.dropFirst()), contents: value.bytes, owner: owner)
        }
        var request = try host.client.request(.PUT, "/containers/\(id)/archive", query: [("path", "/")])
        request.headers.add(name: "Content-Type", value: "application/x-tar")
        request.body = .bytes(ByteBuffer(bytes: archive.finished()))
        let status: Int
        let message: String
        do {
            let response = try await host.client.client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 20)
            status = Int(response.status.code)
            message = DockerEngineClient.Answer(status: status, body: Data(body.readableBytesView)).message
        } catch {
            _ = try? await host.client.send(.DELETE, "/containers/\(id)", query: [("force", "true")])
            throw RuntimeError(
                .hostUnavailable, "docker host \(host.endpoint) did not take the secret files of \(launch.instanceID)",
                cause: error)
        }
        guard (200..<300).contains(status) else {
            _ = try? await host.client.send(.DELETE, "/containers/\(id)", query: [("force", "true")])
            throw RuntimeError(
                .startFailed,
                "docker host \(host.endpoint) refused the secret files of \(launch.instanceID) (\(status)): \(message)")
        }
    }
}

/// A POSIX ustar archive of regular files, what the Engine API's archive endpoint takes. Written here rather
/// than with a package: it is a 512-byte header per file, and no maintained Swift tar writer is in the graph.
struct SecretArchive {
    private var bytes: [UInt8] = []

    /// `uid[:gid]` when numeric, else root: the engine cannot resolve a user name for an archive's owner.
    static func owner(of user: String?) -> (uid: Int, gid: Int) {
        guard let user else { return (0, 0) }
        let parts = user.split(separator: ":", maxSplits: 1).map(String.init)
        guard let uid = parts.first.flatMap({ Int($0) }) else { return (0, 0) }
        return (uid, parts.count > 1 ? Int(parts[1]) ?? uid : uid)
    }

    /// One file with mode 0600; `path` is relative (no leading `/`).
    mutating func append(path: String, contents: [UInt8], owner: (uid: Int, gid: Int)) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        // Names longer than 100 bytes go into the prefix field, split at a '/'.
        var name = path
        var prefix = ""
        if path.utf8.count > 100,
            let split = path.utf8.indices.last(where: { index in
                path.utf8[index] == UInt8(ascii: "/")
                    && path.utf8.distance(from: path.utf8.startIndex, to: index) <= 155
            })
        {
            prefix = String(path[..<split])
            name = String(path[path.index(after: split)...])
        }
        put(name, at: 0, width: 100)
        octal(0o600, at: 100, width: 8)
        octal(owner.uid, at: 108, width: 8)
        octal(owner.gid, at: 116, width: 8)
        octal(contents.count, at: 124, width: 12)
        octal(Int(Date().timeIntervalSince1970), at: 136, width: 12)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(prefix, at: 345, width: 155)
        // The checksum is taken with its own field as spaces.
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)
        header[155] = UInt8(ascii: " ")
        bytes += header
        bytes += contents
        bytes += [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    }

    /// The archive with its end: two empty blocks.
    func finished() -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: 1024)
    }
}
