import Foundation

/// Standard output and error, and whether a person is watching them.
enum Terminal {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Standard output is a terminal (not a pipe or a file), and NO_COLOR is not set.
    static var isInteractive: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }
}

/// A failure already reported to the user; the command exits with `code` and prints nothing more.
struct CommandFailure: Error {
    var code: Int32 = 1
}
