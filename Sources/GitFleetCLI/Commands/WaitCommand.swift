import ArgumentParser
import FleetController
import FleetModel
import FleetPlanner
import FleetRegistry
import FleetServer
import Foundation

/// `gitfleet wait REV --server URL`: blocks a CI step after a merge until the controller has handled
/// that commit, and says how it ended in the exit status.
struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until a running controller has handled a commit; exit 0 converged, 1 failed, 2 timed out.",
        discussion: """
            Polls the controller's GET /api/v1/status. Exit 0 when the controller deployed REV and the fleet \
            converged, 1 when it failed, rolled back or rejected REV, 2 when --timeout passed first. A line \
            is printed whenever what the controller reports changes.
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
                let status = try await client.status()
                let verdict = WaitVerdict(status, rollouts: try await client.live().rollouts, revision: wanted)
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

/// What the controller's status says about one commit: a line for a person and, once settled, the exit code.
struct WaitVerdict: Equatable {
    var line: String
    var exitCode: Int32?

    /// `rollouts` say what became of a commit that did not converge: the status's `revision` stays at the
    /// last deployed commit when a rollout rolls back, while each rollout names the commit it targeted.
    init(_ status: StatusDocument, rollouts: [LiveRollout], revision: String) {
        let short = String(revision.prefix(12))
        let services = status.services.map { "\($0.name) \($0.ready)/\($0.replicas) \($0.result)" }
            .joined(separator: ", ")
        if status.result == FleetPhase.rejected.rawValue, status.fetchedRevision == revision {
            line = "\(short): rejected"
            exitCode = 1
            return
        }
        let failed = rollouts.filter {
            $0.targetRevision == revision && [RolloutPhase.rolledBack, .failed].map(\.rawValue).contains($0.phase)
        }
        if !failed.isEmpty, status.result != FleetPhase.inProgress.rawValue {
            let reasons = failed.map {
                "\($0.service) \($0.phase)\($0.message.map { ": \($0.split(separator: "\n").first ?? "")" } ?? "")"
            }
            line = "\(short): \(status.result) (\(reasons.joined(separator: "; ")))"
            exitCode = 1
            return
        }
        guard status.revision == revision else {
            let at = status.revision.map { String($0.prefix(12)) } ?? "nothing yet"
            line =
                "\(short): waiting (controller at \(at), fleet \(status.result)\(services.isEmpty ? "" : ": \(services)"))"
            exitCode = nil
            return
        }
        switch FleetPhase(rawValue: status.result) {
        case .converged:
            line = "\(short): converged"
            exitCode = 0
        case .failed, .rolledBack:
            let reasons = status.services.compactMap { service in service.reason.map { "\(service.name): \($0)" } }
            line = "\(short): \(status.result)\(reasons.isEmpty ? "" : " (\(reasons.joined(separator: "; ")))")"
            exitCode = 1
        default:
            line = "\(short): \(status.result)\(services.isEmpty ? "" : ": \(services)")"
            exitCode = nil
        }
    }
}
