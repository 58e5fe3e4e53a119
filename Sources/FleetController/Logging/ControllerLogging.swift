import Foundation
import Glibc
import Logging

/// How log lines are written: `text` for people at a terminal (swift-log's `StreamLogHandler`), `json` for
/// log collectors (``JSONLogHandler``, one object per line). The `logFormat` setting.
public enum LogFormat: String, Sendable, Hashable, CaseIterable {
    case text, json
}

/// Where a ``JSONLogHandler`` writes its lines. Tests collect them; the process writes them to stderr.
public protocol LogOutput: Sendable {
    /// Writes one whole line (it ends in a newline).
    func write(_ line: String)
}

/// The process's standard error, unbuffered: each line with one `write(2)` (more only when the kernel takes
/// part of it), so lines of concurrent tasks do not interleave and a line is out before the process can die.
///
/// Not `FileHandle.standardError.write`: Foundation traps on a failed write (a closed pipe, a full
/// non-blocking descriptor), and a log line must never bring the controller down. A line that cannot be
/// written is dropped.
public struct StandardErrorOutput: LogOutput {
    public init() {}

    public func write(_ line: String) {
        DescriptorWriter.write(line.utf8, to: STDERR_FILENO)
    }
}

/// The log handlers of gitfleet's commands: every logger of the process gets one of `format`, at `level`.
///
/// `LoggingSystem.bootstrap` may run once per process, so commands call ``bootstrap(format:level:)`` first
/// thing; tests make a ``JSONLogHandler`` of their own (or run a command as a process).
public enum ControllerLogging {
    /// A handler for the logger labelled `label`.
    public static func handler(label: String, format: LogFormat, level: Logger.Level) -> any LogHandler {
        switch format {
        case .json:
            return JSONLogHandler(label: label, level: level)
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Makes every logger of this process write `format` to stderr at `level` and above. Once per process.
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in handler(label: label, format: format, level: level) }
    }
}

/// A handler that can make a copy of itself under another label: how ``Logger/part(_:)`` keeps a logger's
/// own handler (a test's collecting handler, an embedding program's) instead of the logging system's.
public protocol RelabellingLogHandler: LogHandler {
    func relabelled(_ label: String) -> any LogHandler
}

extension JSONLogHandler: RelabellingLogHandler {
    public func relabelled(_ label: String) -> any LogHandler {
        var copy = JSONLogHandler(label: label, level: logLevel, output: output, metadataProvider: metadataProvider)
        copy.metadata = metadata
        return copy
    }
}

extension Logger {
    /// The logger of one part of gitfleet, labelled `<this label>.<part>` (`gitfleet.converger`), with this
    /// logger's level and metadata. Its handler is a relabelled copy of this logger's when the handler can
    /// be relabelled (``RelabellingLogHandler``), else the logging system's for the new label.
    public func part(_ part: String) -> Logger {
        let label = "\(label).\(part)"
        var logger: Logger
        if let relabelling = handler as? any RelabellingLogHandler {
            let handler = relabelling.relabelled(label)
            logger = Logger(label: label, factory: { _ in handler })
        } else {
            logger = Logger(label: label)
        }
        logger.logLevel = logLevel
        for (key, value) in handler.metadata { logger[metadataKey: key] = value }
        return logger
    }
}
