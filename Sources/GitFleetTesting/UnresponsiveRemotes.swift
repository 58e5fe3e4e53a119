import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback TCP port whose connections the kernel completes but nobody ever reads or answers: the remote
/// that hangs a client without deadlines for ever.
public final class SilentListener: @unchecked Sendable {
    public let descriptor: Int32
    public let port: Int

    public init() throws {
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

    public func close() { _ = Glibc.close(descriptor) }
}

/// `git daemon` serving every repository under a directory over git:// (push enabled) on a free loopback port.
public final class GitDaemon: @unchecked Sendable {
    public let process: SpawnedProcess
    public let port: Int

    static let script = """
        import os, socket, sys
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        print(port, flush=True)
        os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
        os.environ["GIT_CONFIG_GLOBAL"] = "/dev/null"
        # Exec git-daemon itself, not the `git` wrapper, so stopping this process stops the daemon.
        daemon = os.path.join(os.popen("git --exec-path").read().strip(), "git-daemon")
        os.execv(daemon, [daemon, "--reuseaddr", "--listen=127.0.0.1", "--port=%d" % port,
            "--base-path=" + sys.argv[1], "--export-all", "--enable=receive-pack", sys.argv[1]])
        """

    /// Starts the daemon and waits until it answers for `probe` (a repository path under `basePath`).
    public init(basePath: String, probe: String) throws {
        process = try SpawnedProcess(
            executable: "/usr/bin/python3", arguments: ["-c", Self.script, basePath],
            logPath: (basePath as NSString).appendingPathComponent("git-daemon.log"))
        port = try Self.firstLineNumber(of: process, what: "git daemon")
        let deadline = Date().addingTimeInterval(60)
        while true {
            do {
                try GitFixture.run(["git", "ls-remote", "git://127.0.0.1:\(port)/\(probe)"])
                return
            } catch  where Date() < deadline {
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    public func stop() { process.stop() }

    /// The number a helper prints on its first line (its port), waiting up to 30 s for it.
    static func firstLineNumber(of process: SpawnedProcess, what: String) throws -> Int {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let log = (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? ""
            if let line = log.split(separator: "\n").first, let number = Int(line) { return number }
            if process.exitCode != nil { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw FixtureError("\(what) did not start:\n\(process.logTail())")
    }
}

/// A TCP proxy in front of a remote that can be told to go silent: from then on it relays nothing, on open
/// connections and new ones alike, yet keeps them open, so a client sees a remote that accepts and never
/// answers, at the moment the test chooses. ``forward()`` makes it relay again (new connections).
public final class StallingProxy: @unchecked Sendable {
    public let process: SpawnedProcess
    public let port: Int
    private let modeFile: String

    static let script = """
        import select, socket, sys, threading
        mode_file, target = sys.argv[1], int(sys.argv[2])
        def forwarding():
            try:
                with open(mode_file) as f:
                    return f.read().strip() != "silent"
            except OSError:
                return True
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        print(server.getsockname()[1], flush=True)
        held = []
        def relay(client):
            if not forwarding():
                held.append(client)
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", target))
            except OSError:
                client.close()
                return
            pair = [client, upstream]
            while True:
                if not forwarding():
                    held.extend(pair)
                    return
                readable, _, _ = select.select(pair, [], [], 0.1)
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        client.close()
                        upstream.close()
                        return
                    (upstream if s is client else client).sendall(data)
        while True:
            connection, _ = server.accept()
            threading.Thread(target=relay, args=(connection,), daemon=True).start()
        """

    /// Starts a proxy to `127.0.0.1:targetPort`, relaying; `directory` holds its mode file and log.
    public init(targetPort: Int, directory: String) throws {
        modeFile = (directory as NSString).appendingPathComponent("proxy-mode")
        FileManager.default.createFile(atPath: modeFile, contents: Data("forward".utf8))
        process = try SpawnedProcess(
            executable: "/usr/bin/python3", arguments: ["-u", "-c", Self.script, modeFile, String(targetPort)],
            logPath: (directory as NSString).appendingPathComponent("proxy.log"))
        port = try GitDaemon.firstLineNumber(of: process, what: "the proxy")
    }

    /// From now on nothing is relayed, on any connection; connections are accepted and held.
    public func goSilent() throws { try Data("silent".utf8).write(to: URL(fileURLWithPath: modeFile)) }

    /// New connections are relayed again.
    public func forward() throws { try Data("forward".utf8).write(to: URL(fileURLWithPath: modeFile)) }

    public func stop() { process.stop(grace: 1) }
}
