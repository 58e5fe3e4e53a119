import Foundation

/// A helper process started by a test (an HTTP server, sshd) that is terminated when the test is done.
final class ChildProcess {
    let process = Process()
    private let output = Pipe()

    /// Starts `command`; its standard output can be read line by line with `readLine()`.
    init(_ command: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// The next line the process writes to standard output, or nil at end of output.
    func readLine() -> String? {
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte.first == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }

    deinit {
        stop()
    }

    func stop() {
        // SIGKILL, not terminate(): children inherit the test runner's blocked signal mask, which includes SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
