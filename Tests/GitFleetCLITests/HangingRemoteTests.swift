import Foundation
import GitFleetTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("gitfleet serve: a remote that never answers", .serialized)
struct HangingRemoteTests {
    @Test("Status and readiness still answer while the clone of a silent remote hangs")
    func probesAnswerWhileGitHangs() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        // The later --repo wins: a remote that accepts connections and never says a word.
        try await fleet.withServe(remote, extra: ["--repo", "http://127.0.0.1:\(silent.port)/fleet.git"]) { serve in
            try await Task.sleep(for: .seconds(1))
            let ready = try await serve.request("GET", "/readyz")
            #expect(ready.status == 503, "\(ready)")
            #expect(ready.body.contains("no desired state read yet"), "\(ready)")
            let status = try await serve.request("GET", "/api/v1/status")
            #expect(status.status == 200, "\(status)")
            #expect(serve.log.contains("listening on"), "\(serve.log)")
            serve.killAbruptly()
        }
    }
}

/// A loopback TCP port whose connections the kernel completes but nobody ever reads or answers.
final class SilentListener: @unchecked Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 16) == 0
                    && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            _ = Glibc.close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
