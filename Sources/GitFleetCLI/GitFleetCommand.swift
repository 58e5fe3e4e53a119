import ArgumentParser
import Foundation

/// `gitfleet`: the command-line front of the controller.
public struct GitFleetCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gitfleet",
        abstract: "A GitOps controller that converges a fleet by replacing instances.",
        version: GitFleetCommand.version,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, ApplyCommand.self, StatusCommand.self, HistoryCommand.self,
            AuditCommand.self, RetryCommand.self, SuspendCommand.self, ResumeCommand.self, RollbackCommand.self,
            PromoteCommand.self,
            AbortCommand.self, LogsCommand.self, ServeCommand.self, AdoptCommand.self, DemoImagesCommand.self,
            WaitCommand.self, SecretCommand.self, AgentCommand.self,
        ]
    )

    public init() {}

    /// This release's version (the Helm chart's and the image's) and the commit it was built from, as
    /// `--version` prints them.
    public static let version = "\(release) (commit \(commit))"
    /// This release's version, without the commit.
    public static let release = "0.1.0"
    /// The commit this binary was built from, or "unknown".
    public static let commit = BuildInfo.commit

    /// Parses `arguments`, runs the command and exits the process with its status.
    ///
    /// Usage errors exit 64 (EX_USAGE) with a one-line hint instead of the whole usage text, so
    /// that CI logs stay readable; everything else follows ArgumentParser's conventions.
    public static func main(arguments: [String]) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let failure as CommandFailure {
            Foundation.exit(failure.code)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
                Terminal.error("error: \(message) (see 'gitfleet --help')")
                Foundation.exit(code.rawValue)
            }
            exit(withError: error)
        }
    }
}
