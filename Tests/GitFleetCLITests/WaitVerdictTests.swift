import FleetController
import FleetGit
import FleetModel
import FleetServer
import Foundation
import Testing

@testable import GitFleetCLI

/// What `gitfleet wait` prints and how it exits for each answer of `GET /api/v1/commits/{rev}`.
@Suite("gitfleet wait: the verdict on a commit document")
struct WaitVerdictTests {
    static let asked = CommitID(hex: String(repeating: "a", count: 40))!
    static let descendant = CommitID(hex: String(repeating: "d", count: 40))!

    static func document(_ state: CommitOutcome.State, by decider: CommitID?, reason: String? = nil)
        -> CommitDocument
    {
        let annotation = decider.map {
            StatusAnnotation(
                result: DeploymentResult(rawValue: state.rawValue) ?? .inProgress, fleet: "f", controller: "c",
                at: Date(), revision: $0.hex, reason: reason,
                services: ["web": ServiceStatus(result: .inProgress, reason: reason)])
        }
        return CommitDocument(
            CommitOutcome(commit: asked.hex, state: state, handledAs: decider, annotation: annotation),
            trackedBranch: "main")
    }

    @Test(
        "settled states exit 0 or 1, the others keep waiting; a descendant is named",
        arguments: [
            (
                CommitOutcome.State.converged, descendant as CommitID?, Int32?.some(0),
                "aaaaaaaaaaaa: handled as dddddddddddd (descendant): converged"
            ),
            (.converged, asked, 0, "aaaaaaaaaaaa: converged"),
            (.rolledBack, asked, 1, "aaaaaaaaaaaa: rolled-back (web: probe failed)"),
            (
                .rejected, descendant, 1,
                "aaaaaaaaaaaa: handled as dddddddddddd (descendant): rejected (web: probe failed)"
            ),
            (.failed, asked, 1, "aaaaaaaaaaaa: failed (web: probe failed)"),
            (.unknown, nil, nil, "aaaaaaaaaaaa: waiting (not fetched by the controller yet)"),
            (.pending, nil, nil, "aaaaaaaaaaaa: waiting (fetched, not handled yet)"),
            (.superseded, asked, nil, "aaaaaaaaaaaa: superseded; waiting for the commit that took over"),
            (
                .inProgress, descendant, nil,
                "aaaaaaaaaaaa: handled as dddddddddddd (descendant): in-progress: web in-progress"
            ),
        ])
    func verdict(_ state: CommitOutcome.State, _ decider: CommitID?, _ exitCode: Int32?, _ line: String) {
        let settledWithReason = [.rolledBack, .rejected, .failed].contains(state)
        let verdict = WaitVerdict(Self.document(state, by: decider, reason: settledWithReason ? "probe failed" : nil))
        #expect(verdict.exitCode == exitCode)
        #expect(verdict.line == line)
    }

    /// The instance log lines a reason quotes are for `history` and `logs`; the wait line stops before them.
    @Test("a rolled-back commit's line leaves out the log lines its reason quotes")
    func reasonWithoutLogLines() {
        let reason = "not healthy within startTimeout 30s: HTTP 500; last log lines:\nboom\n"
        let verdict = WaitVerdict(Self.document(.rolledBack, by: Self.asked, reason: reason))
        #expect(verdict.line == "aaaaaaaaaaaa: rolled-back (web: not healthy within startTimeout 30s: HTTP 500)")
        #expect(verdict.exitCode == 1)
    }
}
