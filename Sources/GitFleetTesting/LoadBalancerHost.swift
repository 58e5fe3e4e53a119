import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A load-balancer host as an operator builds one for discovery agents: a real nginx of its own (own prefix, port and
/// logs; `proxy_next_upstream off`, so a request sent to an instance that has left service fails instead of
/// being retried elsewhere; an access log whose 5xx a test counts) and a `gitfleet agent` process that follows
/// the controllers' discovery, writes nginx's upstream file and reloads it.
///
/// The agent reloads nginx one of two ways (``Reload``): as on a host, `nginx -t` then `nginx -s reload`; or as the
/// chart's and manifests' sidecar does, where nginx runs in another container, by sending SIGHUP to the pid in
/// nginx's pid file.
///
/// nginx starts before the agent, on an upstream file holding only a placeholder that is down (what the
/// built-in template writes for a service with no serving instance), so until the agent's first publication
/// nginx answers 502: a test waits for ``waitUntilServing(timeout:)`` before it sends load. The agent runs as a
/// process, so a test can kill it (SIGKILL, as on a lost host), freeze it (SIGSTOP) and start it again under
/// the same name.
public final class LoadBalancerHost: @unchecked Sendable {
    /// The agent's name, as the controller's `requiredAgents` names it.
    public let name: String
    public let nginx: NginxServer
    /// The controllers' base URLs, in the order the agent tries them.
    public let controllers: [String]
    private let directory: TemporaryDirectory
    private let reloadCommand: String
    private let extra: [String]
    private let lock = NSLock()

    /// How the agent makes nginx read the file it wrote.
    public enum Reload: Sendable {
        /// `nginx -t`, recorded in ``reloadChecks``, then `nginx -s reload`: a load-balancer host's reload.
        case checked
        /// SIGHUP to the pid in nginx's pid file, nothing when there is none yet: the Kubernetes sidecar's reload
        /// (charts/gitfleet, manifests/agent), word for word but for the pid file's path.
        case signal
    }
    private var agent: SpawnedProcess?
    private var starts = 0

    /// Starts nginx for `services` and an agent named `name` following `controllers`; `extra` goes to the agent's
    /// command line after the fixture's own flags (e.g. `--heartbeat`).
    /// `reloadDelay` makes every reload wait that long first: a slow load balancer, whose file changes well after
    /// the controller published the set, so only the controller waiting for the agent's report keeps a drained
    /// instance from being stopped while this nginx still sends it requests.
    public init(
        name: String, controllers: [String], services: [String] = ["web"], reload: Reload = .checked,
        reloadDelay: Duration = .zero, extra: [String] = []
    ) async throws {
        self.name = name
        self.controllers = controllers
        self.extra = extra
        directory = try TemporaryDirectory(prefix: "gitfleet-lb-\(name)")
        let placeholder = services.map {
            "upstream gitfleet_\($0.replacingOccurrences(of: "-", with: "_")) {\n    server 127.0.0.1:9 down;\n}\n"
        }.joined()
        nginx = try await NginxServer(
            services: services, upstreams: placeholder, retryNextUpstream: false, accessLog: true)
        let pause = reloadDelay == .zero ? "" : "sleep \(reloadDelay / .milliseconds(1) / 1000); "
        switch reload {
        case .checked:
            // The checked reload (nginx -t, then -s reload) records every check, so a test can tell that nothing
            // the agent wrote was refused.
            let script = try nginx.checkedReloadCommand(recordingTo: directory.appending("reload-checks"))[1]
            reloadCommand = #"["/bin/sh", "-c", "\#(pause)exec /bin/sh \#(script)"]"#
        case .signal:
            let pid = nginx.pidFile
            reloadCommand = #"["/bin/sh", "-c", "\#(pause)test ! -s \#(pid) || kill -HUP \"$(cat \#(pid))\""]"#
        }
        try startAgent()
    }

    deinit {
        stop()
    }

    /// The agent's command line after `gitfleet`.
    public var agentArguments: [String] {
        ["agent", "--name", name] + controllers.flatMap { ["--controller", $0] } + [
            "--output", "nginx:\(nginx.upstreamFile)", "--reload-command", reloadCommand, "--reload-timeout", "10s",
            "--heartbeat", "1s", "--wait", "10s", "--log-level", "info",
        ] + extra
    }

    /// Starts the agent (again, after ``killAgent()`` or ``stopAgent()``), under the same name; each start logs
    /// to a file of its own.
    public func startAgent() throws {
        lock.lock()
        defer { lock.unlock() }
        guard agent.map({ $0.exitCode != nil }) ?? true else { return }
        starts += 1
        agent = try SpawnedProcess(
            executable: try BuiltProducts.path(of: "gitfleet"), arguments: agentArguments,
            logPath: directory.appending("agent-\(starts).log"))
    }

    /// SIGKILL: the agent dies at once, as with its host; nginx keeps serving the last file it wrote.
    public func killAgent() {
        signalAgent(SIGKILL)
        lock.lock()
        defer { lock.unlock() }
        agent?.stop(grace: 0)
    }

    /// SIGSTOP / SIGCONT: the agent freezes with its connections open (a hung host), then carries on.
    public func freezeAgent() { signalAgent(SIGSTOP) }
    public func thawAgent() { signalAgent(SIGCONT) }

    /// SIGTERM; returns the agent's exit status (nil when it had to be killed after `grace`).
    @discardableResult
    public func stopAgent(grace: TimeInterval = 10) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        guard let agent else { return nil }
        if let status = agent.exitCode { return status }
        kill(agent.pid, SIGCONT)
        kill(agent.pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            if let status = agent.exitCode { return status }
            usleep(20_000)
        }
        agent.stop(grace: 0)
        return nil
    }

    private func signalAgent(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if let agent, agent.exitCode == nil { kill(agent.pid, signal) }
    }

    /// Whether the agent process runs (it may be frozen).
    public var agentIsRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return agent?.exitCode == nil && agent != nil
    }

    /// Every agent log so far, oldest start first, for a failure's message.
    public var agentLog: String {
        lock.lock()
        let count = starts
        lock.unlock()
        return (1...max(count, 1)).map { start in
            let text = (try? String(contentsOfFile: directory.appending("agent-\(start).log"), encoding: .utf8)) ?? ""
            return "--- agent \(name), start \(start):\n\(text)"
        }.joined(separator: "\n")
    }

    /// The upstream file nginx reads now.
    public var upstreams: String {
        (try? String(contentsOfFile: nginx.upstreamFile, encoding: .utf8)) ?? ""
    }

    /// The exit status of each `nginx -t` the reload command ran, in order: all 0 when every file the agent
    /// wrote was valid.
    public var reloadChecks: [Int] {
        let text = (try? String(contentsOfFile: directory.appending("reload-checks"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { Int($0) }
    }

    /// Waits until nginx has answered `GET /` with 200 for `steady` on end (the agent's publication is in place,
    /// and no worker of an older configuration, which nginx keeps accepting for a moment after a reload, still
    /// answers from the placeholder); fails with the agent's log after `timeout`.
    public func waitUntilServing(steady: Duration = .seconds(2), timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var last = ""
        var servingSince: ContinuousClock.Instant? = nil
        while ContinuousClock.now < deadline {
            do {
                let response = try await LoopbackHTTP.get(port: nginx.port, path: "/", timeout: .seconds(5))
                last = "status \(response.status)"
                if response.status != 200 {
                    servingSince = nil
                } else if let since = servingSince {
                    if ContinuousClock.now - since >= steady { return }
                } else {
                    servingSince = .now
                }
            } catch {
                last = "\(error)"
                servingSince = nil
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw FixtureError(
            "nginx of \(name) did not answer 200 for \(steady) within \(timeout) (last: \(last)); upstreams:\n"
                + "\(upstreams)\n\(agentLog)")
    }

    /// Stops the agent and nginx and removes the host's files. Idempotent.
    public func stop() {
        stopAgent(grace: 5)
        nginx.stop()
        directory.remove()
    }
}
