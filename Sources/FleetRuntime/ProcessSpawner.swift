import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts processes that outlive the call that started them, with `posix_spawn`: argv only (never a shell), the
/// signal mask and dispositions reset, no descriptor of ours leaking in. The one spawner of the codebase for
/// such processes: instances (which must outlive the controller) and the long-running servers tests start
/// and stop later. A program that is run to its end goes through ``BoundedCommand`` (swift-subprocess) instead;
/// swift-subprocess has no way to let a child outlive the call that started it.
public enum ProcessSpawner {
    /// Where a child's standard output or error goes.
    public enum Destination: Sendable, Hashable {
        /// `/dev/null`.
        case discard
        /// A file, created when missing, appended to or truncated.
        case file(String, append: Bool)
        /// A descriptor of this process (a pipe's write end), duplicated into the child.
        case descriptor(Int32)
        /// Standard error only: wherever standard output goes (`2>&1`).
        case standardOutput
    }

    /// Spawns an instance: output appended to files, in a session of its own (see the other `spawn`).
    static func spawn(
        argv: [String],
        environment: [String: String],
        workingDirectory: String,
        stdoutPath: String,
        stderrPath: String
    ) throws -> Int32 {
        try spawn(
            argv: argv, environment: environment, workingDirectory: workingDirectory,
            standardOutput: .file(stdoutPath, append: true), standardError: .file(stderrPath, append: true),
            newSession: true)
    }

    /// Spawns `argv` (argv[0] is an existing path) and returns its pid. Standard input is `/dev/null`.
    ///
    /// With `newSession` the child gets its own session (`POSIX_SPAWN_SETSID`), so the controller's death, or a
    /// signal to the controller's process group, never reaches it; its process group id is then its pid, which
    /// is what ``ProcessRuntime`` signals. Signal dispositions and the mask are reset to the defaults, because
    /// ignored and blocked signals survive `exec` and the parent's choices (SIGPIPE ignored, SIGTERM blocked by
    /// the test runner …) are not the child's. `environment` nil: this process's own.
    public static func spawn(
        argv: [String],
        environment: [String: String]?,
        workingDirectory: String?,
        standardOutput: Destination,
        standardError: Destination,
        newSession: Bool
    ) throws -> Int32 {
        guard let executable = argv.first else {
            throw RuntimeError(.startFailed, "nothing to run: the command and the image's entrypoint are both empty")
        }
        guard access(executable, X_OK) == 0 else {
            throw RuntimeError(
                .startFailed,
                "cannot execute \(executable): \(String(cString: strerror(errno)))"
            )
        }
        var opened: [Int32] = []
        defer {
            for descriptor in opened { close(descriptor) }
        }
        func descriptor(_ destination: Destination) throws -> Int32? {
            switch destination {
            case .discard, .standardOutput:
                return nil
            case .descriptor(let descriptor):
                return descriptor
            case .file(let path, let append):
                let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0o644)
                guard descriptor >= 0 else { throw RuntimeError(.io, "cannot open \(path)") }
                opened.append(descriptor)
                return descriptor
            }
        }
        let outFD = try descriptor(standardOutput)
        let errFD = try descriptor(standardError)

        #if os(Linux)
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
        #else
            var actions: posix_spawn_file_actions_t? = nil
            var attributes: posix_spawnattr_t? = nil
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let outFD {
            posix_spawn_file_actions_adddup2(&actions, outFD, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if standardError == .standardOutput {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else if let errFD {
            posix_spawn_file_actions_adddup2(&actions, errFD, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        // Descriptors opened without O_CLOEXEC elsewhere in the controller (sockets, databases) must not
        // be held open by instances that outlive it.
        if let closeFrom = GNUSpawn.addCloseFrom { _ = closeFrom(&actions, 3) }
        if let workingDirectory {
            guard let changeDirectory = GNUSpawn.addChangeDirectory else {
                throw RuntimeError(
                    .startFailed, "this C library has no posix_spawn_file_actions_addchdir_np (glibc 2.29+)")
            }
            _ = changeDirectory(&actions, workingDirectory)
        }

        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in 1..<32 where signal != SIGKILL && signal != SIGSTOP {
            sigaddset(&defaults, Int32(signal))
        }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        let setsid = newSession ? GNUSpawn.setSessionFlag : 0
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETSIGDEF) | Int16(POSIX_SPAWN_SETSIGMASK) | setsid
        )

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment =
            (environment ?? ProcessInfo.processInfo.environment).sorted { $0.key < $1.key }
            .map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments + cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        var result = posix_spawn(&pid, executable, &actions, &attributes, cArguments, cEnvironment)
        // Instances start concurrently: a child forked for one start holds, until its own exec closes it, every
        // descriptor of this process, among them another start's copy of its binary still open for writing, and
        // exec of a file open for writing fails with ETXTBSY. The window is the few microseconds between fork and
        // exec, so a short wait and another try succeed (Go's os/exec meets the same race, golang/go#22315).
        for attempt in 1...20 where result == ETXTBSY {
            usleep(useconds_t(2_000 * attempt))
            result = posix_spawn(&pid, executable, &actions, &attributes, cArguments, cEnvironment)
        }
        guard result == 0 else {
            throw RuntimeError(.startFailed, "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Where the program `name` is: `name` itself when it holds a slash (if executable there), else the first
    /// executable file of that name in the directories of `path` (a `PATH` value; nil: this process's `PATH`,
    /// else `/usr/local/bin:/usr/bin:/bin`). The one PATH lookup of the codebase.
    public static func search(_ name: String, path: String? = nil) -> String? {
        if name.contains("/") { return isExecutableFile(name) ? name : nil }
        let path = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var information = stat()
        return access(path, X_OK) == 0 && stat(path, &information) == 0
            && (information.st_mode & S_IFMT) != S_IFDIR
    }
}

/// glibc's posix_spawn extensions, declared only under `_GNU_SOURCE`, which Swift's Glibc module is not built
/// with; looked up by name so the declarations need no C shim target.
private enum GNUSpawn {
    typealias AddChangeDirectory =
        @convention(c) (
            UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
        ) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// `POSIX_SPAWN_SETSID` from glibc's spawn.h (and macOS's).
    #if os(Linux)
        static let setSessionFlag: Int16 = 0x80
    #else
        static let setSessionFlag: Int16 = 0x400
    #endif

    static let addChangeDirectory: AddChangeDirectory? = symbol("posix_spawn_file_actions_addchdir_np")
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")

    private static func symbol<Function>(_ name: String) -> Function? {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: Function.self)
    }
}
