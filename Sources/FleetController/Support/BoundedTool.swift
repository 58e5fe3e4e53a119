import FleetRuntime
import Foundation

/// One bounded run of a program the controller starts besides instances: a signature tool (`ssh-keygen`,
/// `gpg`) or a discovery reload command. argv only, never a shell, killed when it overruns its time, its
/// output captured up to a limit (``BoundedCommand``, on swift-subprocess).
///
/// A signature comes from whoever pushed the commit and a reload command is whatever the operator
/// configured, so nothing about either is trusted to be small or to finish.
struct BoundedTool: Sendable {
    /// What a finished (or stopped) run produced.
    struct Outcome: Sendable {
        var status: Int32
        var output: String
        var errors: String
        /// The tool overran its time and was killed; `status` is then meaningless.
        var timedOut: Bool

        /// The first non-empty line of standard error, for reasons shown to people.
        var firstErrorLine: String {
            errors.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
                ?? "exit status \(status)"
        }
    }

    /// The tool could not be started at all.
    struct Unavailable: Error, Sendable {
        var tool: String
        var message: String
        /// The same without local paths or the system's error text, for readers beyond the controller's host.
        var summary: String
    }

    /// The program's name without its directory, for messages read beyond the controller's host.
    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The executable to run: `name` itself when it contains a slash, else the first match on PATH.
    let executable: String
    let timeout: Duration
    /// Output beyond this many bytes per stream is read and dropped, so a hostile tool input cannot grow memory.
    static let outputLimit = 64 * 1024

    /// Finds `name`; throws ``Unavailable`` naming the Debian package to install (when known) if it is missing.
    init(_ name: String, package: String?, timeout: Duration) throws {
        guard let found = BoundedTool.locate(name) else {
            let install = package.map { "install \($0)" } ?? "install it"
            throw Unavailable(
                tool: name,
                message: name.contains("/")
                    ? "\(name) is not installed (no executable at that path); \(install) or fix the path"
                    : "\(name) is not installed (not found on PATH); \(install) on the controller host",
                summary: "\(Self.baseName(name)) is not installed on the controller host; \(install) there")
        }
        executable = found
        self.timeout = timeout
    }

    static func locate(_ name: String) -> String? {
        ProcessSpawner.search(name)
    }

    /// Runs the tool with `arguments`, standard input read from the file `input` (or empty).
    func run(_ arguments: [String], input: String? = nil) async throws -> Outcome {
        let command = BoundedCommand(
            executable: executable, arguments: arguments,
            // The C locale keeps messages such as `Good "git" signature` in the words this code looks for.
            environmentOverrides: ["LC_ALL": "C", "LANG": "C"], inputFile: input, keep: .head(Self.outputLimit),
            timeout: timeout)
        let outcome: BoundedCommand.Outcome
        do {
            outcome = try await command.run()
        } catch let failure as BoundedCommand.StartFailure {
            let opening = failure.code == .inputUnreadable
            throw Unavailable(
                tool: executable,
                message: opening ? "could not open \(input ?? "") for \(executable)" : "\(failure)",
                summary: opening
                    ? "\(Self.baseName(executable)) could not be given its input on the controller host"
                    : "\(Self.baseName(executable)) could not be started on the controller host")
        }
        let status: Int32
        switch outcome.status {
        case .exited(let code): status = code
        case .signaled(let signal): status = signal
        }
        return Outcome(
            status: status,
            output: String(decoding: outcome.output, as: UTF8.self),
            errors: String(decoding: outcome.errors, as: UTF8.self),
            timedOut: outcome.timedOut)
    }
}
