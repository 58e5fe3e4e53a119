import FleetModel
import Foundation
import Testing

/// The `actions` list of a status note: what operators did while the fleet was at the commit.
@Suite("Status annotation: operator actions")
struct OperatorActionAnnotationTests {
    static let at = StatusAnnotationTests.at
    static let suspend = OperatorAction(
        action: "suspend", service: "web", by: "alice", at: at, reason: "incident #42: payments flaky",
        outcome: "new specs wait until resumed")
    static let fleetWide = OperatorAction(action: "retry", service: nil, by: "cli:bob", at: at.addingTimeInterval(60))

    static func annotated() -> StatusAnnotation {
        var annotation = StatusAnnotationTests.sample(.converged)
        annotation.actions = [suspend, fleetWide]
        return annotation
    }

    @Test("actions round-trip through the YAML, in order, with and without service, reason and outcome")
    func roundTrip() throws {
        let annotation = Self.annotated()
        #expect(try StatusAnnotation(yaml: annotation.yaml()) == annotation)
    }

    @Test("each action is one line people can read in git log --notes")
    func golden() {
        let lines = Self.annotated().yaml().split(separator: "\n").suffix(3).map(String.init)
        #expect(
            lines == [
                "actions:",
                "  - {action: suspend, service: web, by: alice, at: 2026-11-22T13:02:11Z, "
                    + "reason: \"incident #42: payments flaky\", outcome: \"new specs wait until resumed\"}",
                "  - {action: retry, by: \"cli:bob\", at: 2026-11-22T13:03:11Z}",
            ])
    }

    @Test("a note written before actions existed reads with none, and writes none back")
    func oldNote() throws {
        let old = StatusAnnotationTests.sample(.rolledBack).yaml()
        #expect(!old.contains("actions"))
        let annotation = try StatusAnnotation(yaml: old)
        #expect(annotation.actions.isEmpty)
        #expect(annotation.yaml() == old)
    }

    @Test("hostile reasons round-trip exactly", arguments: ["a: b", "- list", "{x: y}", "line\nbreak", "'q\" #c"])
    func hostileReason(reason: String) throws {
        var annotation = Self.annotated()
        annotation.actions[0].reason = reason
        #expect(try StatusAnnotation(yaml: annotation.yaml()).actions == annotation.actions)
    }

    @Test("a rewrite of the note by the deployment tracker keeps the actions the note had, each once")
    func keptOnRewrite() {
        let written = Self.annotated()
        var rewrite = StatusAnnotationTests.sample(.converged)
        rewrite.controller = "gitfleet-other"
        let resume = OperatorAction(action: "resume", service: "web", by: "alice", at: Self.at.addingTimeInterval(90))
        let merged = rewrite.keepingActions(of: written, adding: [resume, Self.suspend])
        #expect(merged.controller == "gitfleet-other")
        #expect(merged.actions == [Self.suspend, Self.fleetWide, resume])
        #expect(rewrite.keepingActions(of: nil).actions.isEmpty)
    }

    @Test("a malformed action names its place in the list")
    func malformed() {
        let text = Self.annotated().yaml() + "  - {action: resume, at: 2026-11-22T13:02:11Z}\n"
        #expect {
            try StatusAnnotation(yaml: text)
        } throws: { error in
            "\(error)".contains("actions[2].by")
        }
    }
}
