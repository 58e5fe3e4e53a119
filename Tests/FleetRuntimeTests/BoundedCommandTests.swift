import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// Programs run to their end through swift-subprocess: real processes, real pipes, real signals.
@Suite("BoundedCommand")
struct BoundedCommandTests {
    static func shell(
        _ script: String, combinesErrors: Bool = false, ownsProcessGroup: Bool = false,
        keep: BoundedCommand.Keep = .head(1024), timeout: Duration = .seconds(60), inputFile: String? = nil
    ) -> BoundedCommand {
        BoundedCommand(
            executable: "/bin/sh", arguments: ["-c", script], inputFile: inputFile, combinesErrors: combinesErrors,
            ownsProcessGroup: ownsProcessGroup, keep: keep, timeout: timeout)
    }

    @Test("the exit code, standard output and standard error come back apart, or together when combined")
    func statusAndStreams() async throws {
        let apart = try await Self.shell("echo out; echo err >&2; exit 3").run()
        #expect(apart.status == .exited(code: 3))
        #expect(String(decoding: apart.output, as: UTF8.self) == "out\n")
        #expect(String(decoding: apart.errors, as: UTF8.self) == "err\n")
        #expect(!apart.timedOut)

        let together = try await Self.shell("echo out; echo err >&2", combinesErrors: true).run()
        #expect(together.status == .exited(code: 0))
        let text = String(decoding: together.output, as: UTF8.self)
        #expect(text.contains("out\n") && text.contains("err\n"), "\(text)")
        #expect(together.errors.isEmpty)
    }

    @Test("the environment is the one given, with the overrides on top; standard input is read from a file")
    func environmentAndInput() async throws {
        let directory = try RuntimeFixtures.temporaryDirectory("gitfleet-bounded")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("from the file\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/input"))
        let command = BoundedCommand(
            executable: "/bin/sh", arguments: ["-c", "cat; echo \"$ONE $TWO ${HOME:-none}\"; pwd"],
            environment: ["ONE": "1", "PATH": "/usr/bin:/bin"], environmentOverrides: ["TWO": "2"],
            workingDirectory: directory, inputFile: "\(directory)/input", keep: .head(1024), timeout: .seconds(60))
        let outcome = try await command.run()
        let lines = String(decoding: outcome.output, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.first == "from the file")
        #expect(lines.dropFirst().first == "1 2 none", "only the given environment")
        #expect(
            lines.last.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
                == URL(fileURLWithPath: directory).resolvingSymlinksInPath().path)
    }

    @Test("output past the bound is read and dropped: the head or the tail is kept, and the program is not blocked")
    func outputIsBounded() async throws {
        // 2 MiB: far more than a pipe holds, so a reader that stopped reading would block the program.
        let script = "i=0; while [ $i -lt 2048 ]; do printf '%01023d\\n' $i; i=$((i+1)); done"
        let head = try await Self.shell(script, keep: .head(4096)).run()
        #expect(head.status == .exited(code: 0))
        #expect(head.output.count == 4096)
        #expect(String(decoding: head.output.prefix(4), as: UTF8.self) == "0000")

        let tail = try await Self.shell(script, combinesErrors: true, keep: .tail(1024)).run()
        #expect(tail.status == .exited(code: 0))
        #expect(tail.output.count == 1024)
        #expect(String(decoding: tail.output.suffix(5), as: UTF8.self) == "2047\n")
    }

    @Test("a program past its deadline is SIGKILLed, even one that blocks SIGTERM, and reported as timed out")
    func deadlineKills() async throws {
        let clock = ContinuousClock()
        let begun = clock.now
        let outcome = try await Self.shell("trap '' TERM; echo started; sleep 60", timeout: .milliseconds(500)).run()
        #expect(outcome.timedOut)
        #expect(outcome.status == .signaled(signal: SIGKILL))
        #expect(String(decoding: outcome.output, as: UTF8.self) == "started\n", "what it printed before is kept")
        #expect(clock.now - begun < .seconds(30), "bounded by the deadline, not the program")
    }

    @Test("a program's own process group is killed whole at the deadline, so its children do not outlive it")
    func deadlineKillsTheGroup() async throws {
        let directory = try RuntimeFixtures.temporaryDirectory("gitfleet-bounded")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pidFile = "\(directory)/child.pid"
        let outcome = try await Self.shell(
            "sleep 60 & echo $! > \(pidFile); wait", ownsProcessGroup: true, timeout: .milliseconds(500)
        ).run()
        #expect(outcome.timedOut)
        let child = try #require(
            Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // The kernel tears the child down promptly, but poll: a loaded machine may take a moment.
        let deadline = ContinuousClock.now + .seconds(30)
        while Self.isAlive(child), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!Self.isAlive(child), "the background child is gone")
    }

    /// Whether `pid` runs: it exists and is not a zombie waiting for its parent.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    @Test("a child left in the background holding the output does not hold the verdict until the deadline")
    func backgroundChildDoesNotDelay() async throws {
        let clock = ContinuousClock()
        let begun = clock.now
        let outcome = try await Self.shell("sleep 30 & echo done", timeout: .seconds(45)).run()
        #expect(!outcome.timedOut)
        #expect(outcome.status == .exited(code: 0))
        #expect(String(decoding: outcome.output, as: UTF8.self) == "done\n")
        #expect(clock.now - begun < .seconds(25), "the verdict came with the exit, not with the grandchild")
    }

    @Test("a program that cannot be started is a StartFailure naming it")
    func startFailure() async throws {
        let missing = BoundedCommand(
            executable: "/nonexistent/tool", arguments: [], keep: .head(16), timeout: .seconds(10))
        let error = await #expect(throws: BoundedCommand.StartFailure.self) { try await missing.run() }
        #expect(error?.description.contains("/nonexistent/tool") == true, "\(String(describing: error))")
        let unreadable = Self.shell("cat", inputFile: "/nonexistent/input")
        let inputError = await #expect(throws: BoundedCommand.StartFailure.self) { try await unreadable.run() }
        #expect(inputError?.reason.contains("/nonexistent/input") == true, "\(String(describing: inputError))")
    }

    @Test("the one PATH lookup: a bare name is searched on PATH, a path must be an executable file")
    func search() {
        #expect(ProcessSpawner.search("sh", path: "/nonexistent:/bin") == "/bin/sh")
        #expect(ProcessSpawner.search("sh", path: "/nonexistent") == nil)
        #expect(ProcessSpawner.search("/bin/sh") == "/bin/sh")
        #expect(ProcessSpawner.search("/bin") == nil, "a directory is not a program")
        #expect(ProcessSpawner.search("/nonexistent/sh") == nil)
    }
}
