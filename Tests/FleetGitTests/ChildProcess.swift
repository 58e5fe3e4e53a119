import FleetRuntime
import Foundation
import GitFleetTesting

#if canImport(Glibc)
    import Glibc
#endif

/// A helper process started by a test (an HTTP server, sshd) that is killed when the test is done.
///
/// Started by ``ProcessSpawner`` rather than Foundation's `Process`: Foundation detects a child's exit when an
/// inherited socket closes, so a daemon that closes its descriptors (sshd) looks exited and stalls Foundation's
/// single reaper thread in a blocking wait, hanging every later `Process`. The child also gets a clean signal
/// mask, because the test runner blocks SIGTERM and children would otherwise inherit that.
final class ChildProcess {
    let pid: pid_t
    private let output: FileHandle

    /// Starts `command` (looked up on PATH); its standard output can be read line by line with `readLine()`.
    init(_ command: [String]) throws {
        guard let executable = ProcessSpawner.search(command[0]) else {
            throw POSIXError(.ENOENT)
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        let child: pid_t
        do {
            child = try ProcessSpawner.spawn(
                argv: [executable] + command.dropFirst(), environment: nil, workingDirectory: nil,
                standardOutput: .descriptor(pipeEnds[1]), standardError: .discard, newSession: false)
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
