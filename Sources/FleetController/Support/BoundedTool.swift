import Foundation

/// One bounded run of a program the controller starts besides instances: a signature tool (`ssh-keygen`,
/// `gpg`) or a discovery reload command. argv only, never a shell, killed when it overruns its time, its
/// output captured up to a limit.
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
        if name.contains("/") {
            return FileManager.default.isExecutableFile(atPath: name) ? name : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    /// Runs the tool with `arguments`, standard input read from the file `input` (or empty).
    func run(_ arguments: [String], input: String? = nil) async throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // The C locale keeps messages such as `Good "git" signature` in the words this code looks for.
        process.environment = ProcessInfo.processInfo.environment.merging(["LC_ALL": "C", "LANG": "C"]) { $1 }
        // A file rather than a pipe: writing to a tool that exited early would raise SIGPIPE in the controller.
        if let input {
            guard let handle = FileHandle(forReadingAtPath: input) else {
                throw Unavailable(
                    tool: executable, message: "could not open \(input) for \(executable)",
                    summary: "\(Self.baseName(executable)) could not be given its input on the controller host")
            }
            process.standardInput = handle
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let (exits, exited) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            exited.yield(finished.terminationStatus)
            exited.finish()
        }
        do {
            try process.run()
        } catch {
            throw Unavailable(
                tool: executable, message: "could not start \(executable): \(error)",
                summary: "\(Self.baseName(executable)) could not be started on the controller host")
        }
        let outputReader = BoundedReader(output.fileHandleForReading, limit: Self.outputLimit)
        let errorReader = BoundedReader(errors.fileHandleForReading, limit: Self.outputLimit)
        let timeout = self.timeout
        let status: Int32? = await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                for await status in exits { return status }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if status == nil {
            // SIGKILL, not SIGTERM: a child may inherit a signal mask that blocks SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // A grandchild that kept the pipes open must not hold the verdict hostage.
        let grace = DispatchTime.now() + .seconds(2)
        return Outcome(
            status: status ?? process.terminationStatus,
            output: String(decoding: outputReader.finish(by: grace), as: UTF8.self),
            errors: String(decoding: errorReader.finish(by: grace), as: UTF8.self),
            timedOut: status == nil)
    }
}

/// Drains a pipe on its own thread, keeping the first `limit` bytes.
private final class BoundedReader: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle, limit: Int) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock {
                    if data.count < limit {
                        data.append(chunk.prefix(limit - data.count))
                    }
                }
            }
            done.signal()
        }
    }

    /// What was read, once the pipe closed or `deadline` passed, whichever is first.
    func finish(by deadline: DispatchTime) -> Data {
        _ = done.wait(timeout: deadline)
        return lock.withLock { data }
    }
}
