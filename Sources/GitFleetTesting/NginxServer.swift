import FleetRuntime
import Foundation

/// A real nginx in front of one service, for zero-downtime tests: its own prefix, configuration, pid
/// and logs in a temporary directory, listening on a free loopback port and proxying to the upstream
/// `gitfleet_<service>` that a discovery output writes to ``upstreamFile`` (with several services, the first at
/// `/` and each other one at `/<service>/`).
///
/// By default it retries a request on the next upstream on connection errors, timeouts, 502 and 503, as
/// operators configure it; the order of discovery and draining must still be right, since a retry cannot help
/// once every upstream it knows is gone. `retryNextUpstream: false` (`proxy_next_upstream off`) takes that
/// cushion away, so a single request sent to an instance that has left service fails and shows: the strictest
/// test of an order. `accessLog: true` logs each request's status, which ``serverErrors`` counts.
public final class NginxServer: Sendable {
    public static let executable = "/usr/sbin/nginx"

    public let port: Int
    /// Where the discovery output for nginx must be written (included inside `http {}`).
    public let upstreamFile: String
    private let directory: TemporaryDirectory
    private let configurationFile: String
    private let accessLogFile: String?
    private let process: SpawnedProcess

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts nginx once `upstreamFile` exists (write the first output before); waits until it listens.
    public convenience init(service: String, upstreams: String, timeout: TimeInterval = 30) async throws {
        try await self.init(services: [service], upstreams: upstreams, timeout: timeout)
    }

    /// Starts nginx proxying to every one of `services`; `upstreams` is the first content of ``upstreamFile``.
    public init(
        services: [String], upstreams: String, retryNextUpstream: Bool = true, accessLog: Bool = false,
        timeout: TimeInterval = 30
    ) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw StartError(description: "\(Self.executable) is missing; install Debian's nginx (scripts/test does)")
        }
        directory = try TemporaryDirectory(prefix: "gitfleet-nginx")
        upstreamFile = directory.appending("upstreams.conf")
        configurationFile = directory.appending("nginx.conf")
        accessLogFile = accessLog ? directory.appending("access.log") : nil
        port = try EtcdServer.freePort()
        try upstreams.write(toFile: upstreamFile, atomically: true, encoding: .utf8)
        let root = directory.path
        try Self.configuration(
            root: root, port: port, upstreamFile: upstreamFile, services: services,
            retryNextUpstream: retryNextUpstream, accessLogFile: accessLogFile
        ).write(toFile: configurationFile, atomically: true, encoding: .utf8)
        process = try SpawnedProcess(
            executable: Self.executable,
            arguments: [
                "-p", root, "-c", configurationFile, "-e", "\(root)/error.log",
                "-g", "daemon off; pid \(root)/nginx.pid; error_log \(root)/error.log warn;",
            ],
            logPath: directory.appending("nginx.out"))
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = process.exitCode {
                let log = errorLog
                stop()
                throw StartError(description: "nginx exited with status \(status) while starting:\n\(log)")
            }
            if (try? await LoopbackHTTP.connect(port: port, timeout: .seconds(1))) != nil { return }
            if Date() > deadline {
                let log = errorLog
                stop()
                throw StartError(description: "nginx did not listen within \(Int(timeout)) s:\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    deinit {
        stop()
    }

    /// The main configuration: `include`s `upstreamFile` inside `http {}` and proxies to each service's upstream.
    static func configuration(
        root: String, port: Int, upstreamFile: String, services: [String], retryNextUpstream: Bool = true,
        accessLogFile: String? = nil
    ) -> String {
        let nextUpstream =
            retryNextUpstream
            ? "proxy_next_upstream error timeout http_502 http_503;\n                    proxy_next_upstream_tries 4;"
            : "proxy_next_upstream off;"
        // The status first, so counting 5xx needs no parsing of the rest of the line.
        let access =
            accessLogFile.map {
                "log_format gitfleet_status '$status $upstream_addr';\n    access_log \($0) gitfleet_status;"
            } ?? "access_log off;"
        var locations = ""
        for (index, service) in services.enumerated() {
            locations += """
                        location \(index == 0 ? "/" : "/\(service)/") {
                            proxy_pass http://gitfleet_\(service.replacingOccurrences(of: "-", with: "_"));
                            \(nextUpstream)
                            proxy_connect_timeout 1s;
                            proxy_read_timeout 5s;
                        }

                """
        }
        return """
            \(getuid() == 0 ? "user root;" : "")
            worker_processes 1;
            events { worker_connections 1024; }
            http {
                \(access)
                client_body_temp_path \(root)/body;
                proxy_temp_path \(root)/proxy;
                fastcgi_temp_path \(root)/fastcgi;
                uwsgi_temp_path \(root)/uwsgi;
                scgi_temp_path \(root)/scgi;
                include \(upstreamFile);
                server {
                    listen 127.0.0.1:\(port);
            \(locations)    }
            }
            """
    }

    /// The argv that makes nginx check its configuration (with the upstream file as it is now) without applying it.
    public var testCommand: [String] {
        [
            Self.executable, "-t", "-p", directory.path, "-c", configurationFile, "-e",
            directory.appending("error.log"),
            "-g", "pid \(directory.path)/nginx.pid;",
        ]
    }

    /// Where nginx's master writes its process id.
    public var pidFile: String { directory.appending("nginx.pid") }

    /// The argv that makes this nginx re-read its configuration (gracefully: old workers finish their requests).
    public var reloadCommand: [String] {
        [
            Self.executable, "-p", directory.path, "-c", configurationFile, "-e", directory.appending("error.log"),
            "-g", "pid \(directory.path)/nginx.pid;", "-s", "reload",
        ]
    }

    /// A reload command that first checks the configuration with ``testCommand``, appends that check's exit
    /// status to `statusFile` (one line per reload), and reloads only when nginx accepted the configuration:
    /// how a test proves that every output the controller wrote was valid.
    public func checkedReloadCommand(recordingTo statusFile: String) throws -> [String] {
        func quoted(_ argv: [String]) -> String {
            argv.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        }
        let script = directory.appending("checked-reload.sh")
        try """
        #!/bin/sh
        \(quoted(testCommand)) 2>>\(quoted([directory.appending("check.log")]))
        status=$?
        echo $status >>\(quoted([statusFile]))
        [ $status -eq 0 ] || exit $status
        exec \(quoted(reloadCommand))

        """.write(toFile: script, atomically: true, encoding: .utf8)
        return ["/bin/sh", script]
    }

    /// What `nginx -t` said in the checks of ``checkedReloadCommand(recordingTo:)``.
    public var checkLog: String {
        (try? String(contentsOfFile: directory.appending("check.log"), encoding: .utf8)) ?? ""
    }

    /// Requests logged so far and how many of them nginx answered with a 5xx (a 502 when an upstream refused or
    /// broke the connection, a 504 on a timeout); nil without `accessLog: true`.
    public var accessCounts: (requests: Int, serverErrors: Int)? {
        guard let accessLogFile else { return nil }
        let text = (try? String(contentsOfFile: accessLogFile, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n")
        return (lines.count, lines.filter { $0.hasPrefix("5") }.count)
    }

    /// The first `limit` access log lines with a 5xx status, for a failure's message.
    public func serverErrors(limit: Int = 10) -> [String] {
        guard let accessLogFile, let text = try? String(contentsOfFile: accessLogFile, encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").filter { $0.hasPrefix("5") }.prefix(limit).map(String.init)
    }

    public var errorLog: String {
        (try? String(contentsOfFile: directory.appending("error.log"), encoding: .utf8)) ?? process.logTail()
    }

    /// Stops nginx and removes its directory. Idempotent.
    public func stop() {
        process.stop()
        directory.remove()
    }
}
