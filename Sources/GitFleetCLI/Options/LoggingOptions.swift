import ArgumentParser
import FleetController
import Logging

/// `--log-level` of the one-shot commands that log as they act (`apply`, `adopt`): their log lines go to
/// stderr as text, beside the command's own output on stdout. `serve` takes `logLevel` and `logFormat` from
/// its settings instead.
struct LoggingOptions: ParsableArguments {
    @Option(
        name: .customLong("log-level"),
        help: "The least severe level logged to stderr: trace, debug, info, notice, warning, error or critical.",
        transform: { text in
            guard let level = Logger.Level(rawValue: text) else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("--log-level takes one of \(levels), not '\(text)'")
            }
            return level
        })
    var logLevel: Logger.Level = .notice

    /// Makes the process's loggers write text to stderr at `--log-level`; once, before anything logs.
    func bootstrap() {
        ControllerLogging.bootstrap(format: .text, level: logLevel)
    }
}
