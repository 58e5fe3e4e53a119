import Foundation
import GitFleetTesting

#if canImport(Glibc)
    import Glibc
#endif

/// A helper process started by a test (an HTTP server, sshd) that is killed when the test is done.
///
/// Spawned with posix_spawn rather than Foundation's `Process`: Foundation detects a child's exit when an
/// inherited socket closes, so a daemon that closes its descriptors (sshd) looks exited and stalls Foundation's
/// single reaper thread in a blocking wait, hanging every later `Process`. The child also gets a clean signal
/// mask, because the test runner blocks SIGTERM and children would otherwise inherit that.
final class ChildProcess {
    let pid: pid_t
    private let output: FileHandle

    /// Starts `command` (looked up on PATH); its standard output can be read line by line with `readLine()`.
    init(_ command: [String]) throws {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        posix_spawn_file_actions_addclose(&actions, pipeEnds[1])

        let child: pid_t
        do {
            child = try SpawnedProcess.spawn(command, searchingPath: true, actions: &actions)
        } catch {
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw error
        }
        close(pipeEnds[1])
        pid = child
        output = FileHandle(fileDescriptor: pipeEnds[0], closeOnDealloc: true)
    }

    /// The next line the process writes to standard output, or nil at end of output.
    func readLine() -> String? {
        var line = Data()
        while true {
            let byte = output.readData(ofLength: 1)
            if byte.isEmpty { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte.first == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }

    deinit {
        stop()
    }

    private var stopped = false

    /// Kills the process and reaps it. Safe to call more than once.
    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
