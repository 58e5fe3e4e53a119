// The demo's gRPC health endpoint, for the tests of gitfleet's grpc probe: started on $PORT_GRPC (the port named
// `grpc`) when it is set. Every call on it is answered as grpc.health.v1.Health/Check: SERVING for the server as a
// whole ("") and for the service named by GITFLEET_SERVICE, NOT_SERVING for both while the health check fails
// (DEMO_FAIL_HEALTH, DEMO_FAIL_HEALTH_FILE: the same switch as /healthz), and grpc-status NOT_FOUND for any other
// service; with DEMO_GRPC_UNIMPLEMENTED=1 every call fails UNIMPLEMENTED, as on a server without a health service.
//
// Just enough HTTP/2 for that, on plain sockets like the rest of the demo, so that the binary copied into every
// test image stays small: one call per connection; the request's headers are not decoded (HPACK), only its DATA
// (the HealthCheckRequest); the answer's headers are HPACK literals without Huffman coding or indexing.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One HTTP/2 frame: 24-bit length, type, flags, 31-bit stream id, payload.
func http2Frame(type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
    let length = UInt32(payload.count)
    return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags]
        + [UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)]
        + payload
}

/// A header block of literal fields "without indexing", names and values as they are (no Huffman coding).
func hpackLiterals(_ fields: [(String, String)]) -> [UInt8] {
    var block: [UInt8] = []
    for (name, value) in fields {
        block.append(0x00)
        for text in [name, value] {
            let bytes = Array(text.utf8)
            block.append(UInt8(min(bytes.count, 126)))
            block += bytes.prefix(126)
        }
    }
    return block
}

/// The service named in a HealthCheckRequest (field 1), "" when none.
func requestedService(_ message: [UInt8]) -> String {
    guard message.count >= 2, message[0] == 0x0A, message[1] < 0x80, message.count >= 2 + Int(message[1]) else {
        return ""
    }
    return String(decoding: message[2..<(2 + Int(message[1]))], as: UTF8.self)
}

func grpcAnswer(stream: UInt32, request: [UInt8]) -> [UInt8] {
    let endHeaders: UInt8 = 0x4
    let endStream: UInt8 = 0x1
    func trailersOnly(status: String, message: String) -> [UInt8] {
        let fields = [
            (":status", "200"), ("content-type", "application/grpc"), ("grpc-status", status),
            ("grpc-message", message),
        ]
        return http2Frame(type: 0x1, flags: endHeaders | endStream, stream: stream, hpackLiterals(fields))
    }
    if environment("DEMO_GRPC_UNIMPLEMENTED") == "1" { return trailersOnly(status: "12", message: "no health service") }
    let service = request.count >= 5 ? requestedService(Array(request.dropFirst(5))) : ""
    guard service.isEmpty || service == (environment("GITFLEET_SERVICE") ?? "") else {
        return trailersOnly(status: "5", message: "unknown service")
    }
    // HealthCheckResponse { status = 1 (SERVING) or 2 (NOT_SERVING) }, length-prefixed.
    let message: [UInt8] = [0, 0, 0, 0, 2, 0x08, healthFails() ? 2 : 1]
    let headers = hpackLiterals([(":status", "200"), ("content-type", "application/grpc")])
    return http2Frame(type: 0x1, flags: endHeaders, stream: stream, headers)
        + http2Frame(type: 0x0, flags: 0, stream: stream, message)
        + http2Frame(type: 0x1, flags: endHeaders | endStream, stream: stream, hpackLiterals([("grpc-status", "0")]))
}

func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
        let got = bytes[done...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if got <= 0 { return nil }
        done += got
    }
    return bytes
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var sent = 0
    while sent < bytes.count {
        let count = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if count <= 0 { return }
        sent += count
    }
}

func serveGRPC(_ fd: Int32) {
    defer { close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    guard readExactly(fd, preface.count) == preface else { return }
    writeAll(fd, http2Frame(type: 0x4, flags: 0, stream: 0, []))
    var request: [UInt8] = []
    while let header = readExactly(fd, 9) {
        let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
        let (type, flags) = (header[3], header[4])
        let stream =
            UInt32(header[5] & 0x7F) << 24 | UInt32(header[6]) << 16 | UInt32(header[7]) << 8
            | UInt32(header[8])
        guard length <= 1 << 16, let payload = readExactly(fd, length) else { return }
        switch type {
        case 0x4 where flags & 0x1 == 0:  // SETTINGS: acknowledge
            writeAll(fd, http2Frame(type: 0x4, flags: 0x1, stream: 0, []))
        case 0x6 where flags & 0x1 == 0:  // PING: answer
            writeAll(fd, http2Frame(type: 0x6, flags: 0x1, stream: 0, payload))
        case 0x0:  // DATA, maybe padded
            let padding = flags & 0x8 != 0 ? Int(payload.first ?? 0) : 0
            let start = flags & 0x8 != 0 ? 1 : 0
            if payload.count >= start + padding { request += payload[start..<(payload.count - padding)] }
        default:
            break
        }
        if (type == 0x0 || type == 0x1) && flags & 0x1 != 0 {
            writeAll(fd, grpcAnswer(stream: stream, request: request))
            // GOAWAY (last stream, NO_ERROR): one call per connection.
            writeAll(fd, http2Frame(type: 0x7, flags: 0, stream: 0, [0, 0, 0, UInt8(stream & 0xFF), 0, 0, 0, 0]))
            // Closing with the client's last frames unread would reset the connection and could lose the answer:
            // end our side, then read until the client closes (or 2 s pass).
            shutdown(fd, Int32(SHUT_WR))
            var linger = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &linger, socklen_t(MemoryLayout<timeval>.size))
            var sink = [UInt8](repeating: 0, count: 1024)
            while read(fd, &sink, sink.count) > 0 {}
            return
        }
    }
}

func grpcConnectionThread(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    serveGRPC(Int32(Int(bitPattern: context) - 1))
    return nil
}

func grpcAcceptThread(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let listener = Int32(Int(bitPattern: context) - 1)
    while true {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { continue }
        var thread = pthread_t()
        if pthread_create(&thread, nil, grpcConnectionThread, UnsafeMutableRawPointer(bitPattern: Int(connection) + 1))
            == 0
        {
            pthread_detach(thread)
        } else {
            serveGRPC(connection)
        }
    }
}

/// Listens on `port` and answers gRPC health checks on a thread of their own; stops with the process.
func startGRPCHealth(port: UInt16, ipv6: Bool) {
    let listener = listenSocket(port: port, ipv6: ipv6)
    var thread = pthread_t()
    guard pthread_create(&thread, nil, grpcAcceptThread, UnsafeMutableRawPointer(bitPattern: Int(listener) + 1)) == 0
    else { fatal("cannot start the gRPC health thread") }
    pthread_detach(thread)
    log("gitfleet-demo gRPC health on port \(port)")
}
