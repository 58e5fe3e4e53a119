import Foundation

/// A real Git repository in a directory, built with the git CLI, for tests that need genuine history.
///
/// Every commit gets a fixed author and committer, and a date that advances one minute per git command run
/// through the fixture from a fixed epoch, so the same sequence of calls always yields the same ids and
/// commit times are strictly ordered. Global and system git configuration are ignored, so a
/// developer's settings (signing, hooks, default branch) cannot change what a test sees.
///
/// ```swift
/// let tmp = try TemporaryDirectory()
/// let repo = try GitFixture.create(at: tmp.appending("fleet"))
/// try repo.write("services/web.yaml", "replicas: 2\n")
/// let first = try repo.commit("Add web")
/// let remote = try GitFixture.createBare(at: tmp.appending("remote.git"))
/// try repo.addRemote("origin", url: remote.fileURL)
/// try repo.push("origin", "main")
/// ```
public final class GitFixture: Sendable {
    /// The work tree (or, for a bare repository, the repository itself).
    public let path: String
    public let isBare: Bool
    /// The name and email on every commit and annotated tag.
    public let authorName = "Fleet Tester"
    public let authorEmail = "tester@gitfleet.invalid"
    /// The time base of commit dates; each git command run through the fixture adds a minute.
    public static let epoch = 1_700_000_000
    private let clock = Clock()

    private init(path: String, isBare: Bool) {
        self.path = path
        self.isBare = isBare
    }

    /// Initialises a repository with branch `main` at `path` (created if missing).
    public static func create(at path: String) throws -> GitFixture {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let fixture = GitFixture(path: path, isBare: false)
        try fixture.git("init", "-q", "-b", "main")
        return fixture
    }

    /// Initialises a bare repository with `HEAD` on `main`, to push to and clone from.
    public static func createBare(at path: String) throws -> GitFixture {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let fixture = GitFixture(path: path, isBare: true)
        try fixture.git("init", "-q", "--bare", "-b", "main")
        return fixture
    }

    /// Wraps an existing repository (for example a clone made by the code under test) to inspect it.
    public static func existing(at path: String, bare: Bool) -> GitFixture {
        GitFixture(path: path, isBare: bare)
    }

    /// `file://` URL of the repository, for cloning, fetching and pushing.
    public var fileURL: String { URL(fileURLWithPath: path).absoluteString }

    // MARK: Work tree

    /// Writes `contents` to `relativePath`, creating parent directories, and stages it.
    public func write(_ relativePath: String, _ contents: String, executable: Bool = false) throws {
        try write(relativePath, bytes: Array(contents.utf8), executable: executable)
    }

    /// Writes raw bytes to `relativePath`, creating parent directories, and stages it.
    public func write(_ relativePath: String, bytes: [UInt8], executable: Bool = false) throws {
        let file = absolute(relativePath)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: file)
        try git("add", "--", relativePath)
    }

    /// Creates a symbolic link at `relativePath` pointing to `target` (stored as is) and stages it.
    public func symlink(_ relativePath: String, to target: String) throws {
        let link = absolute(relativePath)
        try FileManager.default.createDirectory(
            atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        try git("add", "--", relativePath)
    }

    /// Deletes `relativePath` (a file or directory) and stages the deletion.
    public func remove(_ relativePath: String) throws {
        try git("rm", "-r", "-q", "--", relativePath)
    }

    /// Renames `from` to `to`, creating parent directories, and stages it.
    public func move(_ from: String, to: String) throws {
        try FileManager.default.createDirectory(
            atPath: (absolute(to) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try git("mv", "--", from, to)
    }

    /// Commits what is staged (allowing an empty commit) and returns the new commit id.
    @discardableResult
    public func commit(_ message: String) throws -> String {
        try git("commit", "-q", "--allow-empty", "-m", message)
        return try revParse("HEAD")
    }

    // MARK: Refs

    public func branch(_ name: String, at revision: String = "HEAD") throws {
        try git("branch", "-f", name, revision)
    }

    public func checkout(_ name: String) throws {
        try git("checkout", "-q", name)
    }

    /// Tags `revision`: a lightweight tag, or an annotated one when `message` is given.
    public func tag(_ name: String, at revision: String = "HEAD", message: String? = nil) throws {
        if let message {
            try git("tag", "-a", name, "-m", message, revision)
        } else {
            try git("tag", name, revision)
        }
    }

    /// The full id `revision` resolves to (peeled to a commit).
    public func revParse(_ revision: String) throws -> String {
        try git("rev-parse", "--verify", "-q", "\(revision)^{commit}").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: Remotes

    public func addRemote(_ name: String, url: String) throws {
        try git("remote", "add", name, url)
    }

    /// Pushes `refspecs` (e.g. "main", "--tags", "+main") to `remote`.
    public func push(_ remote: String, _ refspecs: String...) throws {
        try git(["push", "-q", remote] + refspecs)
    }

    // MARK: Running git

    /// Runs git in the repository with isolated configuration and returns its standard output.
    @discardableResult
    public func git(_ arguments: String...) throws -> String {
        try git(arguments)
    }

    /// Runs git in the repository with isolated configuration and returns its standard output.
    @discardableResult
    public func git(_ arguments: [String]) throws -> String {
        let date = "@\(GitFixture.epoch + clock.tick() * 60) +0000"
        let environment = [
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_AUTHOR_NAME": authorName, "GIT_AUTHOR_EMAIL": authorEmail, "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": authorName, "GIT_COMMITTER_EMAIL": authorEmail, "GIT_COMMITTER_DATE": date,
        ]
        let configuration = [
            "-c", "protocol.file.allow=always", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
        ]
        return try GitFixture.run(
            ["git", "-C", path] + configuration + arguments, environment: environment)
    }

    /// Runs a command found on PATH and returns its standard output; throws `CommandFailure` on a non-zero exit.
    @discardableResult
    public static func run(_ command: [String], environment: [String: String] = [:], input: String? = nil) throws
        -> String
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input == nil ? FileHandle.nullDevice : Pipe()
        try process.run()
        if let input, let pipe = process.standardInput as? Pipe {
            pipe.fileHandleForWriting.write(Data(input.utf8))
            try pipe.fileHandleForWriting.close()
        }
        // Read both pipes before waiting so a chatty command cannot block on a full pipe.
        let errorData = FileHandleReader(errors.fileHandleForReading)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = String(decoding: errorData.finish(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CommandFailure(command: command, status: process.terminationStatus, standardError: errorText)
        }
        return String(decoding: outputData, as: UTF8.self)
    }

    private func absolute(_ relativePath: String) -> String {
        (path as NSString).appendingPathComponent(relativePath)
    }

    /// Hands out commit times; a lock because a fixture may be shared by concurrent test code.
    private final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0

        func tick() -> Int {
            lock.lock()
            defer { lock.unlock() }
            count += 1
            return count
        }
    }
}

/// A command that exited with a non-zero status.
public struct CommandFailure: Error, CustomStringConvertible {
    public var command: [String]
    public var status: Int32
    public var standardError: String

    public init(command: [String], status: Int32, standardError: String) {
        self.command = command
        self.status = status
        self.standardError = standardError
    }

    public var description: String {
        "`\(command.joined(separator: " "))` exited with \(status): \(standardError)"
    }
}

/// Drains a pipe on a background thread so the reader never blocks the writer.
final class FileHandleReader: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func finish() -> Data {
        done.wait()
        return data
    }
}
