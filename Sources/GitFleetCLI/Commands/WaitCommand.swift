import ArgumentParser
import FleetController
import FleetModel
import FleetServer
import Foundation

/// `gitfleet wait REV --server URL`: blocks a CI step after a merge until the controller has handled
/// that commit, and says how it ended in the exit status.
struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until a running controller has handled a commit; exit 0 converged, 1 failed, 2 timed out.",
        discussion: """
            Polls the controller's GET /api/v1/commits/REV, which reads the controller's notes on REV and on its \
            descendants: a descendant deployed in REV's place (a merge queue, a second merge before the \
            controller fetched) decides as REV would. Exit 0 when it converged, 1 when it failed, rolled back or \
            was rejected, 2 when --timeout passed first. A line is printed whenever the answer changes.
            """
    )

    @Argument(help: "The full commit id to wait for.")
    var revision: String

    @OptionGroup var serverOptions: ServerOptions

    @Option(name: .long, help: "Give up after this long (a duration such as 90s or 15m).")
    var timeout: String = "15m"

    @Option(name: .long, help: "How often to ask the controller.")
    var interval: String = "2s"

    func validate() throws {
        if serverOptions.server == nil { throw ValidationError("wait needs --server URL") }
        for (name, value) in [("--timeout", timeout), ("--interval", interval)] {
            if case .failure(let problem) = SettingType.duration.value(of: value) {
                throw ValidationError("\(name): \(problem.message)")
            }
        }
        guard revision.count == 40, revision.allSatisfy(\.isHexDigit) else {
            throw ValidationError("REV: '\(revision)' is not a full commit id (expected 40 hex digits)")
        }
    }

    func run() async throws {
        guard let client = try serverOptions.client() else { return }
        let timeout = try SettingType.duration.value(of: timeout).get()
        let interval = try SettingType.duration.value(of: interval).get()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let wanted = revision.lowercased()
        var lastLine = ""
        while true {
            do {
                // Never past the deadline, so `--timeout` holds against a controller that accepts and hangs.
                let left = min(ContinuousClock.now.duration(to: deadline), ControllerClient.requestTimeout)
                let verdict = WaitVerdict(try await client.commit(wanted, timeout: max(left, .seconds(1))))
                if verdict.line != lastLine {
                    Terminal.out(verdict.line)
                    lastLine = verdict.line
                }
                if let code = verdict.exitCode {
                    if code != 0 { throw CommandFailure(code: code) }
                    return
                }
            } catch let failure as ControllerClient.Failure {
                // A controller restarting mid-rollout is not the rollout's outcome: keep asking until the deadline.
                let line = "controller not answering: \(failure)"
                if line != lastLine { Terminal.error(line) }
                lastLine = line
            }
            if ContinuousClock.now >= deadline {
                Terminal.error("error: \(wanted.prefix(12)) not handled within \(timeout)")
                throw CommandFailure(code: 2)
            }
            try await Task.sleep(for: interval)
        }
    }
}

/// What the controller's answer says about one commit: a line for a person and, once settled, the exit code.
struct WaitVerdict: Equatable {
    var line: String
    var exitCode: Int32?

    init(_ document: CommitDocument) {
        var line = String(document.commit.prefix(12)) + ": "
        if let handledAs = document.handledAs, handledAs != document.commit {
            line += "handled as \(handledAs.prefix(12)) (descendant): "
        }
        let services = (document.services ?? [:]).sorted { $0.key < $1.key }
        switch CommitOutcome.State(rawValue: document.state) {
        case .converged:
            line += document.state
            exitCode = 0
        case .failed, .rolledBack, .rejected:
            // One line each, without the instance log lines a reason may quote (`history`, `logs` show them).
            let summary = { (reason: String) in
                String(Converger.publicReason(reason).split(separator: "\n").first ?? "")
            }
            var reasons = services.compactMap { name, service in service.reason.map { "\(name): \(summary($0))" } }
            if reasons.isEmpty, let reason = document.reason { reasons = [summary(reason)] }
            line += document.state + (reasons.isEmpty ? "" : " (\(reasons.joined(separator: "; ")))")
            exitCode = 1
        case .unknown:
            line += "waiting (not fetched by the controller yet)"
            exitCode = nil
        case .pending:
            line += "waiting (fetched, not handled yet)"
            exitCode = nil
        case .superseded:
            line += "superseded; waiting for the commit that took over"
            exitCode = nil
        case .inProgress, nil:
            let progress = services.map { "\($0.key) \($0.value.result)" }.joined(separator: ", ")
            line += document.state + (progress.isEmpty ? "" : ": \(progress)")
            exitCode = nil
        }
        self.line = line
    }
}
