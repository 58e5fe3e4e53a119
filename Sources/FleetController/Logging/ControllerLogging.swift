import Foundation
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

/// The process's standard error, unbuffered: each line with one `write(2)`, so lines of concurrent tasks
/// do not interleave and a line is out before the process can die.
public struct StandardErrorOutput: LogOutput {
    public init() {}

    public func write(_ line: String) {
        FileHandle.standardError.write(Data(line.utf8))
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

extension Logger {
    /// The logger of one part of gitfleet, labelled `<this label>.<part>` (`gitfleet.converger`), with this
    /// logger's level and metadata; its handler comes from the logging system, like every logger's.
    public func part(_ part: String) -> Logger {
        var logger = Logger(label: "\(label).\(part)")
        logger.logLevel = logLevel
        for (key, value) in handler.metadata { logger[metadataKey: key] = value }
        return logger
    }
}
