import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's `wrk` sending HTTP load to a loopback port for as long as a test needs it: started with a duration
/// far longer than any rollout (`-d 3600s`) and stopped by ``stop()`` once the test has seen what it waited for.
///
/// wrk ends on SIGINT as on the end of its duration: its threads stop and it prints the same summary, which
/// ``Summary`` parses. Every request carries `Connection: close`, as ``LoadGenerator``'s do: on a keep-alive
/// connection, nginx closes idle connections when a reload retires its old worker, and a request wrk writes into
/// that instant is a read error that says nothing about the order of discovery and draining (the race every HTTP
/// client with a connection pool knows). A fresh connection per request tests exactly what the upstream file
/// says. Each connection pauses `pause` between requests (wrk's Lua `delay()`), so the load leaves the 2-core
/// machine room for the controller and its probes.
public final class Wrk: Sendable {
    public static let executable = "/usr/bin/wrk"

    /// What wrk counted, from its summary.
    public struct Summary: Sendable, CustomStringConvertible {
        /// Complete responses, whatever their status.
        public var requests: Int
        /// Responses with a status of 400 or more (wrk's "Non-2xx or 3xx responses").
        public var non2xx3xx: Int
        /// Connections refused, reads and writes that failed, requests with no answer within the timeout.
        public var connectErrors: Int
        public var readErrors: Int
        public var writeErrors: Int
        public var timeouts: Int
        /// wrk's summary as it printed it.
        public var output: String

        public var socketErrors: Int { connectErrors + readErrors + writeErrors + timeouts }
        /// Every request that did not get a 2xx or 3xx answer.
        public var failed: Int { non2xx3xx + socketErrors }

        public var description: String {
            "\(requests) requests, \(non2xx3xx) non-2xx/3xx, socket errors: connect \(connectErrors), read "
                + "\(readErrors), write \(writeErrors), timeout \(timeouts)"
        }

        /// Parses wrk's summary; throws when it holds no request count (wrk failed before it started).
        public init(parsing output: String) throws {
            func number(after label: String, in text: Substring) -> Int? {
                guard let range = text.range(of: label) else { return nil }
                return Int(text[range.upperBound...].prefix { $0.isNumber })
            }
            func count(before label: String) -> Int? {
                guard let range = output.range(of: label) else { return nil }
                let line = output[..<range.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).last
                return line.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            }
            guard let requests = count(before: " requests in ") else {
                throw FixtureError("wrk printed no summary:\n\(output)")
            }
            self.requests = requests
            non2xx3xx = number(after: "Non-2xx or 3xx responses: ", in: output[...]) ?? 0
            // `Socket errors: connect 0, read 0, write 0, timeout 0`, printed only when one is not 0.
            let socket = output.split(separator: "\n").first { $0.contains("Socket errors:") } ?? ""
            connectErrors = number(after: "connect ", in: socket) ?? 0
            readErrors = number(after: "read ", in: socket) ?? 0
            writeErrors = number(after: "write ", in: socket) ?? 0
            timeouts = number(after: "timeout ", in: socket) ?? 0
            self.output = output
        }
    }

    private let process: SpawnedProcess
    private let directory: TemporaryDirectory

    /// Starts wrk against `http://127.0.0.1:port/path` with `connections` connections on one thread, each
    /// pausing `pause` between requests; a request with no answer within `timeout` counts as a timeout.
    public init(
        port: Int, path: String = "/", connections: Int = 4, pause: Duration = .milliseconds(10),
        timeout: Duration = .seconds(10)
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw FixtureError("\(Self.executable) is missing; install Debian's wrk (scripts/test does)")
        }
        directory = try TemporaryDirectory(prefix: "gitfleet-wrk")
        let script = directory.appending("pace.lua")
        let milliseconds = pause.components.seconds * 1000 + pause.components.attoseconds / 1_000_000_000_000_000
        try """
        wrk.headers["Connection"] = "close"
        function delay() return \(milliseconds) end

        """.write(toFile: script, atomically: true, encoding: .utf8)
        process = try SpawnedProcess(
            executable: Self.executable,
            arguments: [
                "-t1", "-c\(connections)", "-d3600s", "--timeout", "\(timeout.components.seconds)s", "-s", script,
                "http://127.0.0.1:\(port)\(path)",
            ],
            logPath: directory.appending("wrk.out"))
    }

    deinit {
        process.stop(grace: 0)
        directory.remove()
    }

    /// Whether wrk still runs (it ends early only when it cannot connect at all, or on a bad argument).
    public var isRunning: Bool { process.exitCode == nil }

    /// Interrupts wrk (SIGINT), waits for its summary and returns it.
    public func stop(timeout: Duration = .seconds(30)) async throws -> Summary {
        if process.exitCode == nil { kill(process.pid, SIGINT) }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.exitCode == nil {
            guard ContinuousClock.now < deadline else {
                process.stop(grace: 0)
                throw FixtureError("wrk did not end within \(timeout) of SIGINT:\n\(process.logTail())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let output = (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? ""
        return try Summary(parsing: output)
    }
}
