// The demo service: a small HTTP/1.1 server for the demo fleet and the tests, with no dependencies (and a gRPC
// health endpoint, GRPCHealthServer.swift).
//
// Listens on 127.0.0.1:$PORT, or on IPv6 loopback [::1]:$PORT when DEMO_LISTEN_IPV6=1. `GET /` answers JSON naming its service, version, instance and spec hash;
// `GET /healthz` answers 200 "ok", or 500 when DEMO_FAIL_HEALTH=1 or the file named by DEMO_FAIL_HEALTH_FILE
// exists. DEMO_HEALTH_STATUS=n makes a passing /healthz answer status n; DEMO_REQUIRE_HEADER="Name: value" makes
// /healthz answer 401 to a request without that header. `/readyz` answers 200, or 503 while the file named by
// DEMO_FAIL_READY_FILE exists. `/connections` answers how many connections it has accepted. GET, HEAD and POST are answered alike. With PORT_GRPC set it also serves the gRPC
// health checking protocol there (see GRPCHealthServer.swift, also for DEMO_GRPC_UNIMPLEMENTED). DEMO_START_DELAY (`2s`, `500ms`, or seconds) delays listening; DEMO_LOG_LINES=n prints n numbered
// lines at start (to exercise log caps); DEMO_IGNORE_SIGTERM=1 makes it ignore SIGTERM (to exercise SIGKILL
// after a grace period). On SIGTERM it stops accepting, finishes requests in flight and exits 0.
// A thread per connection, kept alive between requests (see serve(_:)).

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

nonisolated(unsafe) var terminationRequested: sig_atomic_t = 0
nonisolated(unsafe) var inFlight = 0
nonisolated(unsafe) var inFlightLock = pthread_mutex_t()
/// Connections accepted so far (under `inFlightLock`), which `GET /connections` answers: tests count them to
/// see that a client reuses its connection.
nonisolated(unsafe) var accepted = 0

func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

func log(_ text: String) {
    let line = text + "\n"
    _ = line.withCString { write(1, $0, strlen($0)) }
}

/// `2s`, `500ms`, `1m` or a number of seconds, in microseconds.
func parseDelay(_ text: String) -> UInt32? {
    let units: [(String, Double)] = [("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        guard let value = Double(text.dropLast(suffix.count)) else { return nil }
        return UInt32(value * scale)
    }
    return Double(text).map { UInt32($0 * 1_000_000) }
}

func jsonString(_ text: String) -> String {
    var escaped = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": escaped += "\\\""
        case "\\": escaped += "\\\\"
        case "\n": escaped += "\\n"
        default:
            if scalar.value < 0x20 {
                escaped += "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
    }
    return escaped + "\""
}

func healthFails() -> Bool {
    if environment("DEMO_FAIL_HEALTH") == "1" { return true }
    if let path = environment("DEMO_FAIL_HEALTH_FILE"), !path.isEmpty, access(path, F_OK) == 0 { return true }
    return false
}

/// Whether a request's header line is `required` ("Name: value"), the name compared without case.
func sameHeader(_ line: Substring, _ required: String) -> Bool {
    let have = line.split(separator: ":", maxSplits: 1).map { $0.trimmingSpaces() }
    let want = required.split(separator: ":", maxSplits: 1).map { $0.trimmingSpaces() }
    return have.count == 2 && want.count == 2 && have[0].lowercased() == want[0].lowercased() && have[1] == want[1]
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

func respond(to path: String, headerLines: [Substring] = []) -> (Int, String, String) {
    switch path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path {
    case "/":
        let body =
            "{\"service\": \(jsonString(environment("GITFLEET_SERVICE") ?? "")), "
            + "\"version\": \(jsonString(environment("VERSION") ?? "")), "
            + "\"instance\": \(jsonString(environment("GITFLEET_INSTANCE_ID") ?? "")), "
            + "\"specHash\": \(jsonString(environment("GITFLEET_SPEC_HASH") ?? ""))}\n"
        return (200, "application/json", body)
    case "/healthz":
        if let required = environment("DEMO_REQUIRE_HEADER"), !headerLines.contains(where: { sameHeader($0, required) })
        {
            return (401, "text/plain", "missing header\n")
        }
        if healthFails() { return (500, "text/plain", "failing\n") }
        return (environment("DEMO_HEALTH_STATUS").flatMap(Int.init) ?? 200, "text/plain", "ok\n")
    case "/connections":
        pthread_mutex_lock(&inFlightLock)
        let count = accepted
        pthread_mutex_unlock(&inFlightLock)
        return (200, "text/plain", "\(count)\n")
    case "/readyz":
        if let path = environment("DEMO_FAIL_READY_FILE"), !path.isEmpty, access(path, F_OK) == 0 {
            return (503, "text/plain", "not ready\n")
        }
        return (200, "text/plain", "ready\n")
    default:
        return (404, "text/plain", "not found\n")
    }
}

func reason(_ status: Int) -> String {
    switch status {
    case 200: return "OK"
    case 204: return "No Content"
    case 401: return "Unauthorized"
    case 503: return "Service Unavailable"
    case 404: return "Not Found"
    case 500: return "Internal Server Error"
    default: return "Bad Request"
    }
}

/// How long a kept-alive connection may sit idle before the demo closes it (nginx's default).
let keepAliveIdleSeconds = 75

/// Serves the requests of one connection, kept alive between them (HTTP/1.1's default) until the client asks
/// for `Connection: close`, sends HTTP/1.0, stays idle `keepAliveIdleSeconds`, or the demo is terminating: a
/// controller probing every second then reuses one connection per instance, as it would with a real service.
func serve(_ fd: Int32) {
    defer {
        close(fd)
        pthread_mutex_lock(&inFlightLock)
        inFlight -= 1
        pthread_mutex_unlock(&inFlightLock)
    }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var pending: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    func headerEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for index in 0...(pending.count - 4) where pending[index..<index + 4].elementsEqual(separator) {
            return index + 4
        }
        return nil
    }
    while true {
        // Between requests: wait for the next one, noticing a SIGTERM (an idle connection is not a request in
        // flight) and the idle limit.
        var idle = 0
        while pending.isEmpty {
            if terminationRequested != 0 || idle >= keepAliveIdleSeconds * 4 { return }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 250) > 0 { break }
            idle += 1
        }
        var end = headerEnd()
        while end == nil {
            guard pending.count < 65_536 else { return }
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { return }
            pending.append(contentsOf: buffer[0..<count])
            end = headerEnd()
        }
        guard let end else { return }
        let requestHead = String(decoding: pending[0..<end - 4], as: UTF8.self)
        pending.removeFirst(end)
        let lines = requestHead.split(separator: "\r\n")
        let parts = (lines.first ?? "").split(separator: " ")
        let headerLines = Array(lines.dropFirst())
        func header(_ name: String) -> String? {
            headerLines.first { $0.lowercased().hasPrefix(name + ":") }
                .map { $0.split(separator: ":", maxSplits: 1).last?.trimmingSpaces() ?? "" }
        }
        // A body (POST) is read and dropped, so the next request starts where it ends.
        var bodyLeft = header("content-length").flatMap(Int.init) ?? 0
        while bodyLeft > 0 {
            if pending.isEmpty {
                let count = read(fd, &buffer, min(buffer.count, bodyLeft))
                if count <= 0 { return }
                pending.append(contentsOf: buffer[0..<count])
            }
            let taken = min(bodyLeft, pending.count)
            pending.removeFirst(taken)
            bodyLeft -= taken
        }
        var (status, type, body): (Int, String, String)
        if parts.count >= 2, ["GET", "HEAD", "POST"].contains(parts[0]) {
            (status, type, body) = respond(to: String(parts[1]), headerLines: headerLines)
        } else {
            (status, type, body) = (400, "text/plain", "bad request\n")
        }
        if status == 204 { body = "" }
        let keepAlive =
            status != 400 && parts.last == "HTTP/1.1" && header("connection")?.lowercased() != "close"
            && terminationRequested == 0
        let head =
            "HTTP/1.1 \(status) \(reason(status))\r\nContent-Type: \(type)\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        let response = Array((parts.first == "HEAD" ? head : head + body).utf8)
        var sent = 0
        while sent < response.count {
            let count = response[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            sent += count
        }
        if !keepAlive { return }
    }
}

// Entry points called from C (signal handlers, new threads) are plain functions: a closure written in
// top-level code would be main-actor isolated, and the runtime traps when another thread runs it.
func requestTermination(_: Int32) {
    terminationRequested = 1
}

func connectionThread(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    serve(Int32(Int(bitPattern: context) - 1))
    return nil
}

func listenSocket(port: UInt16, ipv6: Bool) -> Int32 {
    let family = ipv6 ? AF_INET6 : AF_INET
    #if os(Linux)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
    #else
        let fd = socket(family, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { fatal("socket: \(String(cString: strerror(errno)))") }
    var reuse: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    let bound: Int32
    if ipv6 {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_addr = in6addr_loopback
        bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
    } else {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
    guard bound == 0 else { fatal("bind \(ipv6 ? "[::1]" : "127.0.0.1"):\(port): \(String(cString: strerror(errno)))") }
    guard listen(fd, 128) == 0 else { fatal("listen: \(String(cString: strerror(errno)))") }
    return fd
}

func fatal(_ message: String) -> Never {
    let line = "gitfleet-demo: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(1)
}

// MARK: - main

signal(SIGPIPE, SIG_IGN)
if environment("DEMO_IGNORE_SIGTERM") == "1" {
    signal(SIGTERM, SIG_IGN)
} else {
    signal(SIGTERM, requestTermination)
}
signal(SIGINT, requestTermination)
pthread_mutex_init(&inFlightLock, nil)

let listenIPv6 = environment("DEMO_LISTEN_IPV6") == "1"
let listenAddress = listenIPv6 ? "[::1]" : "127.0.0.1"
guard let portText = environment("PORT"), let port = UInt16(portText) else { fatal("set PORT to a port number") }
if let count = environment("DEMO_LOG_LINES").flatMap(Int.init) {
    for number in 1...max(count, 1) { log("log line \(number) of \(count)") }
}
if let delay = environment("DEMO_START_DELAY") {
    guard let microseconds = parseDelay(delay) else { fatal("DEMO_START_DELAY '\(delay)' is not a duration") }
    var remaining = microseconds
    while remaining > 0 && terminationRequested == 0 {
        let step = min(remaining, 50_000)
        usleep(step)
        remaining -= step
    }
}
if let grpcText = environment("PORT_GRPC") {
    guard let grpcPort = UInt16(grpcText) else { fatal("PORT_GRPC '\(grpcText)' is not a port number") }
    startGRPCHealth(port: grpcPort, ipv6: listenIPv6)
}
let listener = listenSocket(port: port, ipv6: listenIPv6)
log("gitfleet-demo \(environment("VERSION") ?? "") listening on \(listenAddress):\(port)")

while terminationRequested == 0 {
    var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
    // A short timeout so a SIGTERM that arrives between the check and poll is noticed promptly.
    guard poll(&poller, 1, 100) > 0 else { continue }
    let connection = accept(listener, nil, nil)
    guard connection >= 0 else { continue }
    pthread_mutex_lock(&inFlightLock)
    inFlight += 1
    accepted += 1
    pthread_mutex_unlock(&inFlightLock)
    var thread = pthread_t()
    let context = UnsafeMutableRawPointer(bitPattern: Int(connection) + 1)
    let created = pthread_create(&thread, nil, connectionThread, context)
    if created == 0 {
        pthread_detach(thread)
    } else {
        serve(connection)
    }
}
close(listener)
log("gitfleet-demo: terminating, finishing requests in flight")
while true {
    pthread_mutex_lock(&inFlightLock)
    let remaining = inFlight
    pthread_mutex_unlock(&inFlightLock)
    if remaining == 0 { break }
    usleep(10_000)
}
log("gitfleet-demo: stopped")
exit(0)
