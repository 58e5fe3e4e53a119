import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real `gitfleet serve` release binary over a fresh state directory (the demo images installed with
/// `gitfleet demo-images`), following a bare remote over file://, measured from outside: its HTTP API, the
/// instance processes it starts (their pids as the process runtime records them) and `/proc/<pid>/stat`.
final class ServeHarness {
    let gitfleet: String
    let directory: String
    let work: String
    let remote: String
    let stateDirectory: String
    let secretFile: String
    private(set) var process: Process?
    private var logPath: String { "\(directory)/serve.log" }
    private(set) var port = 0

    /// Makes the work tree and its bare remote, and installs the demo images.
    init(gitfleet: String, demo: String) throws {
        self.gitfleet = gitfleet
        directory = NSTemporaryDirectory() + "gitfleet-bench-serve-\(getpid())-\(UUID().uuidString.prefix(8))"
        work = "\(directory)/work"
        remote = "\(directory)/remote.git"
        stateDirectory = "\(directory)/state"
        secretFile = "\(directory)/github-secret"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "s3cret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        try Shell.run(["git", "init", "-q", "-b", "main", work])
        try Shell.run(["git", "init", "-q", "--bare", "-b", "main", remote])
        try Shell.run(["git", "-C", work, "remote", "add", "origin", remote])
        try Shell.run([gitfleet, "demo-images", "--state-dir", stateDirectory, "--binary", demo])
    }

    /// Writes `files` (path → text) in the work tree, commits and pushes them; returns the commit.
    @discardableResult
    func commitAndPush(_ files: [String: String], message: String) throws -> String {
        let commit = try commit(files, message: message)
        try Shell.run(["git", "-C", work, "push", "-q", "origin", "main"])
        return commit
    }

    /// Commits `files` and sends the commit's objects to the remote without moving its branch; ``moveBranch(to:)``
    /// then moves it in one rename, so a clock can start at the very moment the remote's branch changes.
    func commitAndStage(_ files: [String: String], message: String) throws -> String {
        let commit = try commit(files, message: message)
        try Shell.run(["git", "-C", work, "push", "-q", "-f", "origin", "main:refs/bench/next"])
        return commit
    }

    /// Points the remote's main branch at `commit` (whose objects it holds) by renaming a loose ref into place.
    func moveBranch(to commit: String) throws {
        let temporary = "\(remote)/refs/heads/.main.bench"
        try (commit + "\n").write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, "\(remote)/refs/heads/main") == 0 else {
            throw BenchmarkFailure("cannot move main in \(remote): \(String(cString: strerror(errno)))")
        }
    }

    private func commit(_ files: [String: String], message: String) throws -> String {
        for (path, text) in files {
            let full = "\(work)/\(path)"
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        try Shell.run(["git", "-C", work, "add", "-A"])
        try Shell.run([
            "git", "-C", work, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m",
            message,
        ])
        return try Shell.output(["git", "-C", work, "rev-parse", "HEAD"]).trimmed
    }

    /// Starts `gitfleet serve` on a free loopback port; returns at once (the clock starts here).
    func start(pollInterval: String, extra: [String] = []) throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gitfleet)
        process.arguments =
            [
                "serve", "--repo", "file://\(remote)", "--state-dir", stateDirectory, "--poll-interval", pollInterval,
                "--listen-port", "0", "--controller-id", "bench", "--push-notes", "false", "--github-secret-file",
                secretFile,
            ] + extra
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        port = 0
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The main listener's port, from the line the server logs once it is bound (polled every millisecond).
    func waitForPort(timeout: Duration = .seconds(60)) async throws -> Int {
        if port != 0 { return port }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            for line in log.split(separator: "\n") where line.contains("listening on ") && !line.contains("webhooks") {
                var text = String(line)
                if line.hasPrefix("{"),
                    let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let message = object["message"] as? String
                {
                    text = message
                }
                if let found = text.split(separator: ":").last.flatMap({ Int(String($0).trimmed) }) {
                    port = found
                    return found
                }
            }
            guard process?.isRunning == true else { throw BenchmarkFailure("serve exited:\n\(log)") }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw BenchmarkFailure("serve never said where it listens:\n\(log)")
    }

    /// SIGTERM, and waits for the exit (SIGKILL after 20 s).
    func stop() async {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Stops serve and every instance it started, and removes the directory.
    func tearDown() async {
        await stop()
        for id in instanceIDs() {
            if let pid = pid(of: id) { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - From outside

    /// The answer to one HTTP request over a fresh loopback connection: status and body.
    func request(_ method: String, _ path: String, body: Data = Data(), headers: [String: String] = [:]) throws -> (
        status: Int, body: String
    ) {
        try PlainHTTP.request(port: port, method, path, body: body, headers: headers)
    }

    /// The status document's fields (`GET /api/v1/status`).
    func status() throws -> [String: Any] {
        let answer = try request("GET", "/api/v1/status")
        return (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]) ?? [:]
    }

    /// Waits until the status says the fleet is converged at `commit`.
    func waitConverged(at commit: String, timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let status = try status()
            if status["revision"] as? String == commit, status["result"] as? String == "converged" { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchmarkFailure("not converged at \(commit) within \(timeout):\n\(log.suffix(4_000))")
    }

    /// The ids of the instance directories the process runtime holds.
    func instanceIDs() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "\(stateDirectory)/instances")) ?? [])
    }

    /// The pid the process runtime recorded for `instance` once it spawned it, if it has.
    func pid(of instance: String) -> Int32? {
        let path = "\(stateDirectory)/instances/\(instance)/instance.json"
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let pid = object["pid"] as? Int
        else { return nil }
        return Int32(pid)
    }

    /// Polls (every 0.5 ms) until a process exists for an instance not in `known`; returns when it was seen.
    func waitForNewProcess(besides known: Set<String>, timeout: Duration = .seconds(30)) async throws
        -> ContinuousClock.Instant
    {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            for id in instanceIDs().subtracting(known) {
                if let pid = pid(of: id), kill(pid, 0) == 0 { return ContinuousClock.now }
            }
            usleep(500)
        }
        throw BenchmarkFailure("no new instance process within \(timeout):\n\(log.suffix(4_000))")
    }

    /// CPU seconds (user + system) serve has used, from `/proc/<pid>/stat`.
    func cpuSeconds() -> Double {
        guard let pid = process?.processIdentifier,
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return .nan }
        // Fields after the command's closing parenthesis start at field 3; utime and stime are 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A GitHub push webhook for `revision` on main, signed with the configured secret (openssl computes the
    /// HMAC, before any clock starts).
    func signedPush(of revision: String) throws -> (body: Data, headers: [String: String]) {
        let body = Data(#"{"ref": "refs/heads/main", "after": "\#(revision)"}"#.utf8)
        let mac = try Shell.run(["openssl", "dgst", "-sha256", "-hmac", "s3cret", "-r"], input: body)
        let hex = String(decoding: mac, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
        return (
            body,
            [
                "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=\(hex)",
                "X-GitHub-Delivery": UUID().uuidString,
            ]
        )
    }
}

/// HTTP/1.1 over a plain loopback socket: one request, `Connection: close`, the whole answer read. Written here so
/// that a timed request costs a connect and a write, not an HTTP client's set-up.
enum PlainHTTP {
    static func request(
        port: Int, _ method: String, _ path: String, body: Data = Data(), headers: [String: String] = [:]
    ) throws -> (status: Int, body: String) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchmarkFailure("socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        // A controller too busy to answer must not hang the benchmark past its own deadlines: 10 s per read/write.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            throw BenchmarkFailure("connect to port \(port): \(String(cString: strerror(errno)))")
        }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        head += "Content-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        var bytes = Array((head + "\r\n").utf8)
        bytes.append(contentsOf: body)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) }
            guard written > 0 else { throw BenchmarkFailure("send: \(String(cString: strerror(errno)))") }
            sent += written
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        let text = String(decoding: answer, as: UTF8.self)
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        guard let end = text.range(of: "\r\n\r\n") else { return (status, "") }
        var body = String(text[end.upperBound...])
        if text[..<end.lowerBound].lowercased().contains("transfer-encoding: chunked") { body = dechunked(body) }
        return (status, body)
    }

    /// The payload of a chunked body: each chunk's size line dropped.
    static func dechunked(_ body: String) -> String {
        var rest = Substring(body)
        var payload = ""
        while let line = rest.range(of: "\r\n"), let size = Int(rest[..<line.lowerBound], radix: 16), size > 0 {
            let start = line.upperBound
            let bytes = rest.utf8[start...].prefix(size)
            payload += String(decoding: bytes, as: UTF8.self)
            rest = Substring(rest.utf8[bytes.endIndex...]).dropFirst(2)
        }
        return payload
    }
}
