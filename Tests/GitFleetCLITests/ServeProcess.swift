import Foundation
import GitFleetTesting

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real `gitfleet serve` process watching a bare remote over file://, with its log in a file.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String

    /// `stateDirectory` defaults to the fleet's (which also holds the process runtime's images and instances).
    init(
        fleet: EmbeddedFleet, remote: GitFixture, stateDirectory: String? = nil, controllerID: String = "gitfleet-test",
        extra: [String] = [], environment: [String: String] = [:]
    ) throws {
        logPath = fleet.repository.directory.appending("serve-\(controllerID)-\(UUID().uuidString.prefix(6)).log")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: try BuiltProducts.path(of: "gitfleet"))
        process.arguments =
            [
                "serve", "--repo", remote.fileURL, "--state-dir", stateDirectory ?? fleet.stateDirectory,
                "--poll-interval", "1s", "--listen-port", "0", "--controller-id", controllerID,
            ] + extra
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// A log line's message: the `message` field of a JSON line, or the text line itself.
    static func message(of line: Substring) -> String? {
        guard line.hasPrefix("{") else { return String(line) }
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return object?["message"] as? String
    }

    /// The main listener's HTTP port, from the log line the server writes once it is bound (text, or json's
    /// `message`).
    func port() async throws -> Int {
        for _ in 0..<200 {
            // Not the webhook listener's (`webhookListen`): its lines carry `listener` metadata `webhooks`.
            if let line = log.split(separator: "\n").first(where: {
                $0.contains("listening on ") && !$0.contains("webhooks")
            }),
                let message = Self.message(of: line),
                let port = message.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
            {
                return port
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("serve never said where it listens:\n\(log)")
    }

    /// Sends an HTTP request to the controller and returns the status code and body.
    func request(_ method: String, _ path: String, body: Data = Data(), headers: [String: String] = [:]) async throws
        -> (status: Int, body: String)
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(try await port())\(path)")!)
        // Every endpoint answers at once; waiting longer would hide a controller that blocks.
        request.timeoutInterval = 15
        request.httpMethod = method
        if method != "GET" { request.httpBody = body }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// SIGKILL: the controller dies mid-step, as on a lost node; its instances keep running.
    func killAbruptly() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then SIGKILL if it has not stopped within 10 s; returns whether it stopped gracefully.
    @discardableResult
    func stop() async -> Bool {
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }
}

extension GitFixture {
    /// The note on `commit` under refs/notes/gitfleet, read with the git CLI, or nil.
    func gitfleetNote(on commit: String) -> String? {
        try? git("notes", "--ref=gitfleet", "show", commit)
    }

    /// Waits until the note on `commit` satisfies `condition`; returns the last note seen.
    func waitForNote(on commit: String, timeout: Duration = .seconds(60), _ condition: (String) -> Bool) async
        -> String?
    {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var note: String? = nil
        while ContinuousClock.now < deadline {
            note = gitfleetNote(on: commit)
            if let note, condition(note) { return note }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return note
    }
}

extension EmbeddedFleet {
    /// A bare remote holding the fleet repository's main branch.
    func remote() throws -> GitFixture {
        let remote = try GitFixture.createBare(at: repository.directory.appending("remote.git"))
        try repository.git.addRemote("origin", url: remote.fileURL)
        return remote
    }

    func push() throws {
        try repository.git.push("origin", "main")
    }
}

extension EmbeddedFleet {
    /// Runs `body` with a `gitfleet serve` process watching `remote`; stops it and tears the fleet down
    /// afterwards, whether `body` succeeded or threw.
    /// `stateDirectory` and `environment` go to ``ServeProcess``.
    func withServe(
        _ remote: GitFixture, stateDirectory: String? = nil, extra: [String] = [], environment: [String: String] = [:],
        _ body: (ServeProcess) async throws -> Void
    ) async throws {
        let serve: ServeProcess
        do {
            serve = try ServeProcess(
                fleet: self, remote: remote, stateDirectory: stateDirectory, extra: extra, environment: environment)
        } catch {
            await tearDown()
            throw error
        }
        do {
            try await body(serve)
        } catch {
            await serve.stop()
            await tearDown()
            throw error
        }
        await serve.stop()
        await tearDown()
    }
}
