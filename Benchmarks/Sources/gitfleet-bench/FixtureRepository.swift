import Foundation

/// A Git repository of generated service manifests, written with `git fast-import` (one process for
/// the whole tree, so 10,000 files take well under a second), in a temporary directory.
struct FixtureRepository {
    let path: String
    /// The commit with every service file.
    let first: String
    /// The commit after, with exactly one service file changed.
    let second: String
    /// `second` and the commits after it, each changing exactly one service file of its parent.
    let changes: [String]
    let serviceCount: Int

    /// Creates the repository: `services/svc-NNNNN.yaml` for each service and a `fleet.yaml` with defaults.
    /// `image` names each service's image (by index); by default one of its own per service.
    static func create(
        services count: Int, changes changeCount: Int = 1, image: ((Int) -> String)? = nil
    ) throws -> FixtureRepository {
        let path = NSTemporaryDirectory() + "gitfleet-bench-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Shell.run(["git", "init", "-q", "-b", "main", path])

        var stream = ""
        stream.reserveCapacity(count * 700)
        func blob(_ mark: Int, _ text: String) {
            stream += "blob\nmark :\(mark)\ndata \(text.utf8.count)\n\(text)\n"
        }
        blob(1, fleetFile)
        for index in 0..<count { blob(index + 2, serviceFile(index, version: "1.0.0", image: image?(index))) }
        let changed = (0..<changeCount).map { (count / 2 + $0 * 7_919) % count }
        for (step, index) in changed.enumerated() {
            blob(count + 2 + step, serviceFile(index, version: "1.0.\(step + 1)"))
        }
        func commit(_ message: String, body: () -> Void) {
            stream += "commit refs/heads/main\n"
            stream += "committer Bench <bench@example.com> 1700000000 +0000\n"
            stream += "data \(message.utf8.count)\n\(message)\n"
            body()
        }
        commit("all services") {
            stream += "M 100644 :1 fleet.yaml\n"
            for index in 0..<count { stream += "M 100644 :\(index + 2) services/\(name(index)).yaml\n" }
        }
        for (step, index) in changed.enumerated() {
            commit("bump \(name(index))") {
                stream += "M 100644 :\(count + 2 + step) services/\(name(index)).yaml\n"
            }
        }
        try Shell.run(["git", "-C", path, "fast-import", "--quiet"], input: Data(stream.utf8))
        let history = try Shell.output(["git", "-C", path, "rev-list", "--reverse", "main"])
            .split(separator: "\n").map(String.init)
        return FixtureRepository(
            path: path, first: history[0], second: history[1], changes: Array(history.dropFirst()), serviceCount: count)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    static func name(_ index: Int) -> String { "svc-" + String(format: "%05d", index) }

    static let fleetFile = """
        apiVersion: gitfleet/v1
        kind: Fleet
        metadata:
          name: bench
        spec:
          defaults:
            drain: {delay: 5s, gracePeriod: 30s}
            resources: {cpu: 250m, memory: 128Mi}

        """

    /// A realistic service manifest of about 600 bytes; every tenth service depends on the one before.
    static func serviceFile(_ index: Int, version: String, image: String? = nil) -> String {
        var text = """
            apiVersion: gitfleet/v1
            kind: Service
            metadata:
              name: \(name(index))
              labels: {team: team-\(index % 50), tier: backend}
            spec:
              image: \(image ?? "registry.example.com/shop/\(name(index)):\(version)")
              replicas: \(1 + index % 10)
              command: [bin/server, --port, $(PORT_HTTP)]
              env:
                LOG_LEVEL: info
                REGION: "eu-west-1"
                UPSTREAM: "svc-\(index / 2)"
              ports: {http: 0, metrics: 0}
              health:
                http: {path: /healthz, port: http}
                interval: 2s
                timeout: 1s
                healthyThreshold: 2
                startTimeout: 30s
              rollout:
                strategy: rolling
                maxSurge: 25%
                maxUnavailable: 0

            """
        if index % 10 == 1 { text += "  dependsOn: [\(name(index - 1))]\n" }
        return text
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// Runs a command line tool (the git CLI) for fixtures and for the reference timings.
enum Shell {
    @discardableResult
    static func run(_ arguments: [String], input: Data? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        let inputPipe = Pipe()
        if input != nil { process.standardInput = inputPipe }
        try process.run()
        if let input {
            let handle = inputPipe.fileHandleForWriting
            let writer = Thread {
                handle.write(input)
                try? handle.close()
            }
            writer.start()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchmarkFailure("\(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return data
    }

    static func output(_ arguments: [String]) throws -> String {
        String(decoding: try run(arguments), as: UTF8.self)
    }
}
