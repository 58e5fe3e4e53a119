import FleetController
import Foundation

/// Standard output and error, and whether a person is watching them.
enum Terminal {
    /// `text` on standard output, as a line.
    static func out(_ text: String) {
        write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// `text` on standard error, as a line.
    static func error(_ text: String) {
        DescriptorWriter.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8), to: STDERR_FILENO)
    }

    /// `bytes` on standard output as they are (a JSON document, log text). When the reader has gone
    /// (`gitfleet status | head -3`) the command ends as the shell's own tools do, by SIGPIPE, quietly.
    static func write(_ bytes: Data) {
        guard DescriptorWriter.write(bytes, to: STDOUT_FILENO) == EPIPE else { return }
        signal(SIGPIPE, SIG_DFL)
        raise(SIGPIPE)
        exit(128 + SIGPIPE)
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
