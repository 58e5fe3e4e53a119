import Foundation
import NIOConcurrencyHelpers
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One run of a program that must finish: argv only (never a shell), SIGKILLed when it overruns its
/// `timeout`, its output captured up to a bound. Exec health probes and the controller's tools (signature
/// checks, discovery reload commands) run this way.
///
/// Started through swift-subprocess, which resets the child's signal mask and dispositions (the test runner
/// blocks SIGTERM, and ignored signals survive `exec`), closes every descriptor of ours above 2 in the child,
/// and stops reading once the child has exited even when a grandchild still holds the pipes, so a program
/// that forks into the background cannot hold the verdict hostage. The deadline is ours: swift-subprocess
/// has none.
///
/// Instances are not started this way: they outlive the controller (see ``ProcessSpawner``).
public struct BoundedCommand: Sendable {
    /// Which part of a stream is kept when it says more than the bound; the rest is read and dropped, so a
    /// chatty or hostile program cannot grow the controller's memory.
    public enum Keep: Sendable, Hashable {
        /// The first bytes: where a tool says what went wrong.
        case head(Int)
        /// The last bytes: what a probe printed just before it ended.
        case tail(Int)
    }

    /// How a run ended and what it printed.
    public struct Outcome: Sendable {
        /// How the program ended; `.signaled(signal: SIGKILL)` when it was killed at the deadline.
        public var status: ExitStatus
        /// Standard output, or standard output and error interleaved when errors are combined.
        public var output: [UInt8]
        /// Standard error; empty when it is combined with the output.
        public var errors: [UInt8]
        /// The program overran its time and was killed.
        public var timedOut: Bool
    }

    /// An absolute path (look a name up with ``ProcessSpawner/search(_:path:)``).
    public var executable: String
    public var arguments: [String]
    /// The whole environment of the program; nil: this process's own, with ``environmentOverrides``.
    public var environment: [String: String]?
    public var environmentOverrides: [String: String]
    public var workingDirectory: String?
    /// A file standard input is read from (a file rather than a pipe: writing to a program that exited
    /// early would raise SIGPIPE in the controller); nil: empty input.
    public var inputFile: String?
    /// Standard error goes to the same capture as standard output (`2>&1`).
    public var combinesErrors: Bool
    /// The program leads a process group of its own, and the deadline kills that whole group, so children
    /// it started do not outlive it.
    public var ownsProcessGroup: Bool
    public var keep: Keep
    public var timeout: Duration

    public init(
        executable: String, arguments: [String], environment: [String: String]? = nil,
        environmentOverrides: [String: String] = [:], workingDirectory: String? = nil, inputFile: String? = nil,
        combinesErrors: Bool = false, ownsProcessGroup: Bool = false, keep: Keep, timeout: Duration
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.environmentOverrides = environmentOverrides
        self.workingDirectory = workingDirectory
        self.inputFile = inputFile
        self.combinesErrors = combinesErrors
        self.ownsProcessGroup = ownsProcessGroup
        self.keep = keep
        self.timeout = timeout
    }

    /// The program could not be started at all (no such file, not executable, its input unreadable).
    public struct StartFailure: Error, Sendable, CustomStringConvertible {
        /// What could not be done: callers word their own message by it.
        public enum Code: Sendable {
            /// The file given as standard input could not be opened; the program was not started.
            case inputUnreadable
            /// The program could not be spawned (missing, not executable) or gave no exit status.
            case spawnFailed
        }

        public var code: Code
        public var executable: String
        public var reason: String
        public var description: String { "could not start \(executable): \(reason)" }
    }

    /// Runs the program to its end or its deadline. Throws only ``StartFailure``: how it ended is the outcome.
    public func run() async throws -> Outcome {
        let configuration = Configuration(
            executable: .path(FilePath(executable)), arguments: Arguments(arguments),
            environment: subprocessEnvironment, workingDirectory: workingDirectory.map { FilePath($0) },
            platformOptions: platformOptions)
        let run = RunState()
        return try await withThrowingTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                if let inputFile {
                    let input: FileDescriptor
                    do {
                        input = try FileDescriptor.open(FilePath(inputFile), .readOnly, options: .closeOnExec)
                    } catch {
                        throw StartFailure(
                            code: .inputUnreadable, executable: executable,
                            reason: "cannot open its input \(inputFile): \(error)")
                    }
                    return try await execute(
                        configuration, input: .fileDescriptor(input, closeAfterSpawningProcess: true), run: run)
                }
                return try await execute(configuration, input: .none, run: run)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                // The spawn itself may still be under way on a loaded machine: kill as soon as there is a pid.
                while !Task.isCancelled {
                    if run.killAtDeadline(group: ownsProcessGroup) { break }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let outcome = next { return outcome }
            }
            throw StartFailure(code: .spawnFailed, executable: executable, reason: "it ended without a status")
        }
    }

    private var subprocessEnvironment: Subprocess.Environment {
        let overrides = Dictionary(
            uniqueKeysWithValues: environmentOverrides.compactMap { name, value in
                Subprocess.Environment.Key(rawValue: name).map { ($0, Optional(value)) }
            })
        guard let environment else { return .inherit.updating(overrides) }
        let whole = environment.merging(environmentOverrides) { $1 }
        return .custom(
            Dictionary(
                uniqueKeysWithValues: whole.compactMap { name, value in
                    Subprocess.Environment.Key(rawValue: name).map { ($0, value) }
                }))
    }

    private var platformOptions: PlatformOptions {
        var options = PlatformOptions()
        // 0: a new group whose id is the child's pid, which is what the deadline signals.
        if ownsProcessGroup { options.processGroupID = 0 }
        return options
    }

    private func execute<Input: InputProtocol>(
        _ configuration: Configuration, input: Input, run: RunState
    ) async throws -> Outcome {
        let keep = self.keep
        do {
            if combinesErrors {
                let result = try await Subprocess.run(
                    configuration, input: input, output: .sequence, error: .combinedWithOutput
                ) { execution in
                    run.started(execution.processIdentifier.value)
                    return await Self.collect(execution.standardOutput, keep: keep)
                }
                return Outcome(
                    status: ExitStatus(result.terminationStatus), output: result.closureResult, errors: [],
                    timedOut: run.finish())
            }
            let result = try await Subprocess.run(
                configuration, input: input, output: .sequence, error: .sequence
            ) { execution in
                run.started(execution.processIdentifier.value)
                async let output = Self.collect(execution.standardOutput, keep: keep)
                async let errors = Self.collect(execution.standardError, keep: keep)
                return await (output, errors)
            }
            let (output, errors) = result.closureResult
            return Outcome(
                status: ExitStatus(result.terminationStatus), output: output, errors: errors, timedOut: run.finish())
        } catch let error as SubprocessError {
            run.finish()
            throw StartFailure(code: .spawnFailed, executable: executable, reason: "\(error)")
        }
    }

    /// Reads `stream` to its end, keeping what `keep` says. A read that fails (the child ended and a
    /// grandchild still held the pipe) ends the capture with what came so far.
    static func collect(_ stream: SubprocessOutputSequence, keep: Keep) async -> [UInt8] {
        var kept: [UInt8] = []
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { bytes in
                    switch keep {
                    case .head(let limit):
                        if kept.count < limit { kept.append(contentsOf: bytes.prefix(limit - kept.count)) }
                    case .tail(let limit):
                        kept.append(contentsOf: bytes.suffix(limit))
                        if kept.count > limit { kept.removeFirst(kept.count - limit) }
                    }
                }
            }
        } catch {}
        return kept
    }

    /// What the deadline needs to know about a run: its pid once spawned, whether it already ended (so a
    /// late deadline never signals a pid that may have been reused), and whether the deadline killed it.
    private final class RunState: Sendable {
        private struct State {
            var pid: pid_t?
            var finished = false
            var killed = false
        }
        private let state = NIOLockedValueBox(State())

        func started(_ pid: pid_t) {
            state.withLockedValue { $0.pid = pid }
        }

        /// Kills the program unless it already ended; false while it has no pid yet.
        func killAtDeadline(group: Bool) -> Bool {
            state.withLockedValue { state in
                if state.finished { return true }
                guard let pid = state.pid else { return false }
                // SIGKILL, not SIGTERM: a child may inherit a signal mask that blocks SIGTERM.
                if !group || kill(-pid, SIGKILL) != 0 { kill(pid, SIGKILL) }
                state.killed = true
                return true
            }
        }

        /// Marks the run ended; whether the deadline had killed it.
        @discardableResult
        func finish() -> Bool {
            state.withLockedValue { state in
                state.finished = true
                return state.killed
            }
        }
    }
}

extension ExitStatus {
    /// swift-subprocess's form of how a process ended.
    init(_ status: TerminationStatus) {
        switch status {
        case .exited(let code): self = .exited(code: code)
        case .signaled(let signal): self = .signaled(signal: signal)
        }
    }
}
