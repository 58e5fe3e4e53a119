import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts processes with `posix_spawn`: argv only (never a shell), in a session of their own, with output sent
/// to files and no descriptor of ours leaking in.
enum ProcessSpawner {
    /// Spawns `argv` (argv[0] is an existing path) and returns its pid.
    ///
    /// The child gets its own session (`POSIX_SPAWN_SETSID`), so the controller's death, or a signal to the
    /// controller's process group, never reaches it; its process group id is its pid, which is what
    /// ``ProcessRuntime`` signals. Signal dispositions and the mask are reset to the defaults, because ignored
    /// signals survive `exec` and the controller's choices (SIGPIPE ignored …) are not the instance's.
    static func spawn(
        argv: [String],
        environment: [String: String],
        workingDirectory: String,
        stdoutPath: String,
        stderrPath: String
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
        let outFD = open(stdoutPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard outFD >= 0 else { throw RuntimeError(.io, "cannot open \(stdoutPath)") }
        defer { close(outFD) }
        let errFD = open(stderrPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard errFD >= 0 else { throw RuntimeError(.io, "cannot open \(stderrPath)") }
        defer { close(errFD) }

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
        posix_spawn_file_actions_adddup2(&actions, outFD, 1)
        posix_spawn_file_actions_adddup2(&actions, errFD, 2)
        // Descriptors opened without O_CLOEXEC elsewhere in the controller (sockets, databases) must not
        // be held open by instances that outlive it.
        if let closeFrom = GNUSpawn.addCloseFrom { _ = closeFrom(&actions, 3) }
        guard let changeDirectory = GNUSpawn.addChangeDirectory else {
            throw RuntimeError(.startFailed, "this C library has no posix_spawn_file_actions_addchdir_np (glibc 2.29+)")
        }
        _ = changeDirectory(&actions, workingDirectory)

        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in 1..<32 where signal != SIGKILL && signal != SIGSTOP {
            sigaddset(&defaults, Int32(signal))
        }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        let setsid = GNUSpawn.setSessionFlag
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETSIGDEF) | Int16(POSIX_SPAWN_SETSIGMASK) | setsid
        )

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments + cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, cArguments, cEnvironment)
        guard result == 0 else {
            throw RuntimeError(.startFailed, "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Where `name` is: itself when it holds a slash, else the first executable match in `PATH`.
    static func search(_ name: String, path: String?) -> String? {
        if name.contains("/") { return name }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
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
