import FleetModel
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A minimal HTTP/1.1 GET over a plain IPv4 socket, for tests: a fresh connection per request (no pool
/// that could hide a proxy's reload), a hard deadline, no proxies or redirects. The controller's own
/// health probes use ``FleetRuntime/ProbeClient`` instead, which blocks no thread.
public enum LoopbackHTTP {
    public struct Response: Hashable, Sendable {
        public var status: Int
        public var body: String
    }

    /// GETs `path` from `host:port` (an IPv4 address), all within `timeout`.
    public static func get(host: String = "127.0.0.1", port: Int, path: String, timeout: Duration) async throws
        -> Response
    {
        try await withCheckedThrowingContinuation { continuation in
            // Blocking socket calls run off the cooperative pool, which has only a thread per core.
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result { try getBlocking(host: host, port: port, path: path, timeout: timeout) })
            }
        }
    }

    /// Whether a TCP connection to `host:port` is accepted within `timeout`.
    public static func connect(host: String = "127.0.0.1", port: Int, timeout: Duration) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let fd = try openConnection(host: host, port: port, deadline: ContinuousClock.now + timeout)
                        close(fd)
                    }
                )
            }
        }
    }

    static func getBlocking(host: String, port: Int, path: String, timeout: Duration) throws -> Response {
        let deadline = ContinuousClock.now + timeout
        let fd = try openConnection(host: host, port: port, deadline: deadline)
        defer { close(fd) }
        let request = Array(
            "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: gitfleet\r\nConnection: close\r\n\r\n".utf8
        )
        var sent = 0
        while sent < request.count {
            try wait(fd, for: Int16(POLLOUT), until: deadline)
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else {
                throw ProbeFailure("sending the request failed: \(String(cString: strerror(errno)))")
            }
            sent += count
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 1 << 20 {
            try wait(fd, for: Int16(POLLIN), until: deadline)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 { throw ProbeFailure("reading the response failed: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            received.append(contentsOf: buffer[0..<count])
            if let response = parse(received), response.complete { return response.response }
        }
        guard let response = parse(received) else {
            throw ProbeFailure("no HTTP response (\(received.count) bytes received)")
        }
        return response.response
    }

    /// The response so far, and whether all of its body (per Content-Length) has arrived.
    static func parse(_ bytes: [UInt8]) -> (response: Response, complete: Bool)? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<headEnd.lowerBound].split(separator: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            return nil
        }
        let body = String(text[headEnd.upperBound...])
        let length = lines.dropFirst().compactMap { line -> Int? in
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == "content-length" else { return nil }
            return Int(pair[1].trimmingCharacters(in: .whitespaces))
        }.first
        let complete = length.map { body.utf8.count >= $0 } ?? false
        return (Response(status: status, body: body), complete)
    }

    static func openConnection(host: String, port: Int, deadline: ContinuousClock.Instant) throws -> Int32 {
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ProbeFailure("cannot open a socket: \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(truncatingIfNeeded: port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            guard errno == EINPROGRESS else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw ProbeFailure("connect to \(host):\(port) failed: \(reason)")
            }
            do {
                try wait(fd, for: Int16(POLLOUT), until: deadline)
            } catch {
                close(fd)
                throw error
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            guard socketError == 0 else {
                close(fd)
                throw ProbeFailure("connect to \(host):\(port) failed: \(String(cString: strerror(socketError)))")
            }
        }
        return fd
    }

    static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) throws {
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw ProbeFailure("timed out") }
            var poller = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&poller, 1, Int32(max(remaining.milliseconds, 1)))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw ProbeFailure("poll failed: \(String(cString: strerror(errno)))") }
        }
    }
}

#if canImport(Glibc)
    private let systemConnect = Glibc.connect
#else
    private let systemConnect = Darwin.connect
#endif

/// Why a request failed, in words.
public struct ProbeFailure: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
