import FleetServer
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Webhooks: a chunked body without Content-Length is read only up to the limit")
struct ChunkedBodyTests {
    @Test("a signed-looking chunked body over the limit answers 413 and triggers nothing")
    func chunkedOversizedBody() async throws {
        try await RunningServer.with(secrets: [.generic: "secret"], maxBodySize: 1024) { server in
            var request = "POST /webhooks/generic HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            request += "X-Signature-256: sha256=\(String(repeating: "0", count: 64))\r\nConnection: close\r\n\r\n"
            let chunk = String(repeating: "x", count: 512)
            for _ in 0..<8 {
                request += String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n"
            }
            request += "0\r\n\r\n"
            let response = try RawHTTP.exchange(port: server.port, request: Array(request.utf8))
            #expect(response.hasPrefix("HTTP/1.1 413"), "\(response.prefix(200))")
            #expect(await server.endpoint.triggers.isEmpty)
        }
    }
}

/// A blocking loopback HTTP/1.1 exchange over a plain socket, for requests `TestClient` cannot send (it always
/// sets Content-Length).
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func exchange(port: Int, request: [UInt8]) throws -> String {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "connect: errno \(errno)") }
        #if canImport(Glibc)
            let flags = Int32(MSG_NOSIGNAL)
        #else
            let flags: Int32 = 0
        #endif
        // The server may answer and stop reading before the whole body is sent; a failed send is expected then.
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, flags) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[0..<count]
            if String(decoding: received, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        return String(decoding: received, as: UTF8.self)
    }
}
