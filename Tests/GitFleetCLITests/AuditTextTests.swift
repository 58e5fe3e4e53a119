import FleetModel
import Foundation
import Testing

@testable import GitFleetCLI

/// The text form of `gitfleet audit at`, line for line, as docs/cli.md documents it.
@Suite("gitfleet audit at: the text form")
struct AuditTextTests {
    static func t(_ clock: String) -> Date {
        (try? AuditTime.parse("2026-11-27T\(clock)Z", now: .distantPast)) ?? .distantPast
    }

    static let a = "demo/web:1.0.0@sha256:aa"
    static let b = "demo/web:broken@sha256:bb"
    static let c = "demo/web:2.0.0@sha256:cc"
    static let one = String(repeating: "1", count: 40)
    static let two = String(repeating: "2", count: 40)
    static let three = String(repeating: "3", count: 40)
    static let four = String(repeating: "4", count: 40)

    static func entry(
        _ commit: String, _ result: DeploymentResult, started: String, finished: String?, reason: String? = nil,
        signature: StatusAnnotation.Signature? = nil, services: [String: ServiceStatus],
        actions: [OperatorAction] = []
    ) -> DeploymentHistoryEntry {
        DeploymentHistoryEntry(
            commit: commit, author: "Alice <alice@example.com>", committer: "Carol <carol@example.com>",
            date: t(started),
            summary: "change \(commit.prefix(1))",
            annotation: StatusAnnotation(
                result: result, fleet: "audited", controller: "c1", at: t(finished ?? started), revision: commit,
                reason: reason, signature: signature, services: services, actions: actions, started: t(started),
                finished: finished.map(t)))
    }

    static let timeline = AuditTimeline([
        entry(
            one, .converged, started: "10:00:00", finished: "10:00:04",
            signature: .init(method: "ssh", signer: "alice@example.com"),
            services: [
                "web": ServiceStatus(result: .converged, to: a, created: 1, took: .seconds(4)),
                "api": ServiceStatus(result: .converged, to: a, created: 1, took: .seconds(1)),
            ]),
        entry(
            two, .rolledBack, started: "10:10:00", finished: "10:10:20", reason: "web: not healthy\nlast log lines:",
            services: [
                "web": ServiceStatus(
                    result: .rolledBack, from: a, to: b, created: 1, destroyed: 1, reason: "not healthy")
            ]),
        entry(
            three, .superseded, started: "10:20:00", finished: "10:20:05",
            services: ["web": ServiceStatus(result: .inProgress, from: a, to: c)]),
        entry(
            four, .failed, started: "10:20:05", finished: "10:21:00",
            services: [
                "web": ServiceStatus(result: .failed, from: a, to: c), "api": ServiceStatus(result: .removed, from: a),
            ],
            actions: [
                OperatorAction(
                    action: "rollback", service: "web", by: "bob", at: t("10:30:00"), reason: "incident 9",
                    outcome: "back to 0a0b0c0d (\(a)) until a commit changes it")
            ]),
    ])

    static func render(_ clock: String, _ service: String? = nil) -> String {
        AuditText.render(timeline.moment(at: t(clock), service: service), timeline: timeline)
    }

    @Test("before the first deployment: nothing runs, and when the first began")
    func nothing() {
        #expect(
            Self.render("09:00:00")
                == "at 2026-11-27T09:00:00Z\nnothing runs: the first deployment began at 2026-11-27T10:00:00Z\n\nin progress: nothing"
        )
    }

    @Test("during a rollout: a service that has not settled, one that has, and the rollout in progress")
    func during() {
        let expected = """
            at 2026-11-27T10:00:02Z

            api: running demo/web:1.0.0@sha256:aa
              since 2026-11-27T10:00:01Z
              deployed by 1111111111111111111111111111111111111111  change 1
                result     converged, started 2026-11-27T10:00:00Z, finished 2026-11-27T10:00:04Z
                service    api converged, nothing → demo/web:1.0.0@sha256:aa, settled 2026-11-27T10:00:01Z
                author     Alice <alice@example.com>
                committer  Carol <carol@example.com>
                signer     alice@example.com (ssh)

            web: not-deployed, nothing runs (its first deployment began at 2026-11-27T10:00:00Z)

            in progress:
              deployment 1111111111111111111111111111111111111111  change 1
                result     converged, started 2026-11-27T10:00:00Z, finished 2026-11-27T10:00:04Z
                service    api converged, nothing → demo/web:1.0.0@sha256:aa, settled 2026-11-27T10:00:01Z
                service    web converged, nothing → demo/web:1.0.0@sha256:aa, settled 2026-11-27T10:00:04Z
                author     Alice <alice@example.com>
                committer  Carol <carol@example.com>
                signer     alice@example.com (ssh)
            """
        #expect(Self.render("10:00:02") == expected)
    }

    @Test("after a rollback: the image kept, the rollback, and who had put the image there")
    func rolledBack() {
        let expected = """
            at 2026-11-27T10:15:00Z

            web: rolled-back, running demo/web:1.0.0@sha256:aa
              since 2026-11-27T10:10:20Z
              rolled back in 2222222222222222222222222222222222222222  change 2
                result     rolled-back, started 2026-11-27T10:10:00Z, finished 2026-11-27T10:10:20Z
                service    web rolled-back, demo/web:1.0.0@sha256:aa → demo/web:broken@sha256:bb, settled 2026-11-27T10:10:20Z
                author     Alice <alice@example.com>
                committer  Carol <carol@example.com>
                signer     unverified
                reason     web: not healthy …
              deployed by 1111111111111111111111111111111111111111  change 1
                result     converged, started 2026-11-27T10:00:00Z, finished 2026-11-27T10:00:04Z
                service    web converged, nothing → demo/web:1.0.0@sha256:aa, settled 2026-11-27T10:00:04Z
                author     Alice <alice@example.com>
                committer  Carol <carol@example.com>
                signer     alice@example.com (ssh)

            in progress: nothing
            """
        #expect(Self.render("10:15:00", "web") == expected)
    }

    @Test("superseded, failed, removed and an operator's rollback each say what may run")
    func otherStates() {
        #expect(
            Self.render("10:20:05", "web").contains(
                "web: superseded, instances of demo/web:1.0.0@sha256:aa and demo/web:2.0.0@sha256:cc may run until a "
                    + "later deployment settles it\n  since 2026-11-27T10:20:05Z\n  superseded in \(Self.three)  change 3"
            ))
        #expect(
            Self.render("10:21:00", "web").contains(
                "web: failed, instances of demo/web:1.0.0@sha256:aa and demo/web:2.0.0@sha256:cc may run\n"
                    + "  since 2026-11-27T10:21:00Z\n  failed in \(Self.four)  change 4"))
        #expect(
            Self.render("10:21:00", "api").contains(
                "api: removed, nothing runs\n  since 2026-11-27T10:21:00Z\n  removed by \(Self.four)  change 4\n"
                    + "    result     failed, started 2026-11-27T10:20:05Z, finished 2026-11-27T10:21:00Z\n"
                    + "    service    api removed, demo/web:1.0.0@sha256:aa → nothing, settled 2026-11-27T10:21:00Z"))
        #expect(
            Self.render("10:30:00", "web").contains(
                """
                web: rolled-back, running demo/web:1.0.0@sha256:aa
                  since 2026-11-27T10:30:00Z
                  rolled back by bob at 2026-11-27T10:30:00Z: back to 0a0b0c0d (demo/web:1.0.0@sha256:aa) until a commit changes it
                    reason     incident 9
                    commit     \(Self.four)
                  deployed by \(Self.one)  change 1
                """))
    }
}
