import FleetModel
import Foundation
import Testing

/// `gitfleet audit at` and `audit export` read from a record of notes made here: what ran at each moment, and every
/// event in order.
@Suite("Audit: the record as a timeline")
struct AuditTimelineTests {
    static func time(_ text: String) -> Date {
        // The fixtures are all valid; a bad one fails the test that reads it.
        (try? AuditTime.parse(text, now: .distantPast)) ?? .distantPast
    }

    static func t(_ clock: String) -> Date { time("2026-11-27T\(clock)Z") }

    static let a = "demo/web:1.0.0@sha256:aa"
    static let b = "demo/web:broken@sha256:bb"
    static let c = "demo/web:1.1.0@sha256:cc"
    static let d = "demo/web:2.0.0@sha256:dd"
    static let e = "demo/web:3.0.0@sha256:ee"
    static let f = "demo/web:4.0.0@sha256:ff"
    static let p = "demo/api:1.0.0@sha256:11"
    static let k = "demo/cache:1.0.0@sha256:22"

    static func entry(
        _ commit: String, _ result: DeploymentResult, started: String?, finished: String?, at: String? = nil,
        signed: Bool = true, reason: String? = nil, errors: [String] = [], services: [String: ServiceStatus] = [:],
        actions: [OperatorAction] = []
    ) -> DeploymentHistoryEntry {
        let annotation = StatusAnnotation(
            result: result, fleet: "audited", controller: "gitfleet-7f9c",
            at: t(at ?? finished ?? started ?? "00:00:00"),
            revision: commit, reason: reason, errors: errors,
            signature: signed ? .init(method: "ssh", signer: "alice@example.com") : nil, services: services,
            actions: actions, started: started.map(t), finished: finished.map(t))
        return DeploymentHistoryEntry(
            commit: commit, author: "Alice Approver <alice@example.com>", committer: "Carol Merger <carol@example.com>",
            date: t("00:00:00"), summary: "change \(commit)", annotation: annotation)
    }

    static let rollbackByAlice = OperatorAction(
        action: "rollback", service: "web", by: "alice", at: t("10:40:00"), reason: "3.0.0 is slow",
        outcome: "back to 1a2b3c4d (\(d)) until a commit changes it")
    static let suspendByBob = OperatorAction(
        action: "suspend", service: nil, by: "bob", at: t("10:45:00"), outcome: "new specs wait until resumed")

    /// An older note (no started/finished) for cache; web and api converge; web's broken rollout rolls back; a
    /// rejected commit; web's 1.1.0 is superseded by 2.0.0; a commit removes api and fails web's 3.0.0; an operator
    /// rolls web back; 4.0.0 is still rolling out.
    static let record: [DeploymentHistoryEntry] = [
        entry(
            "c7", .inProgress, started: "10:50:00", finished: nil, at: "10:50:05",
            services: ["web": ServiceStatus(result: .inProgress, from: d, to: f)]),
        entry(
            "c0", .converged, started: nil, finished: nil, at: "09:00:00", signed: false,
            services: ["cache": ServiceStatus(result: .converged, to: k, created: 1)]),
        entry(
            "c1", .converged, started: "10:00:00", finished: "10:00:10",
            services: [
                "web": ServiceStatus(result: .converged, to: a, created: 2, took: .seconds(10)),
                "api": ServiceStatus(result: .converged, to: p, created: 1, took: .seconds(5)),
            ]),
        entry(
            "c2", .rolledBack, started: "10:10:00", finished: "10:11:00", reason: "web: no instance became healthy",
            services: [
                "web": ServiceStatus(
                    result: .rolledBack, from: a, to: b, created: 1, destroyed: 1, took: .seconds(60),
                    reason: "no instance became healthy"),
                "api": ServiceStatus(result: .converged, from: p, to: p, took: .seconds(0)),
            ]),
        entry(
            "c3", .rejected, started: nil, finished: nil, at: "10:15:00", signed: false,
            reason: "The manifests at c3 are not valid.", errors: ["services/web.yaml:3:1: spec: missing"]),
        entry(
            "c4", .superseded, started: "10:20:00", finished: "10:20:30", reason: "superseded by c5 before it settled",
            services: ["web": ServiceStatus(result: .inProgress, from: a, to: c, created: 1)]),
        entry(
            "c5", .converged, started: "10:20:30", finished: "10:21:00",
            services: ["web": ServiceStatus(result: .converged, from: a, to: d, created: 2, destroyed: 3)]),
        entry(
            "c6", .failed, started: "10:30:00", finished: "10:31:00", reason: "web: no instance became healthy",
            services: [
                "web": ServiceStatus(result: .failed, from: d, to: e, created: 1, took: .seconds(60)),
                "api": ServiceStatus(result: .removed, from: p, destroyed: 1, took: .seconds(2)),
            ],
            actions: [rollbackByAlice, suspendByBob]),
    ]

    static let timeline = AuditTimeline(record)

    static func web(_ clock: String) -> AuditServiceState {
        timeline.moment(at: t(clock), service: "web").services[0]
    }

    @Test("before the first deployment nothing ran, and the record says when it began")
    func beforeTheFirst() {
        let moment = Self.timeline.moment(at: Self.t("08:00:00"))
        #expect(moment.services.isEmpty && moment.inProgress.isEmpty)
        #expect(Self.timeline.firstStarted == Self.t("09:00:00"))
        #expect(Self.web("08:00:00").state == .notDeployed)
        #expect(Self.timeline.firstStarted(of: "web") == Self.t("10:00:00"))
    }

    @Test("an older note without started and finished is placed, and ends, at its at")
    func olderNote() throws {
        let moment = Self.timeline.moment(at: Self.t("09:00:00"))
        let cache = try #require(moment.services.first)
        #expect(cache.service == "cache" && cache.state == .running && cache.image == Self.k)
        #expect(cache.since == Self.t("09:00:00") && cache.deployment?.commit == "c0")
        #expect(cache.deployment?.signature == "unverified" && cache.deployment?.signer == nil)
        #expect(moment.inProgress.isEmpty)
    }

    @Test("during a rollout each service settles at started + took; the rollout is listed as in progress")
    func duringTheFirst() throws {
        let moment = Self.timeline.moment(at: Self.t("10:00:05"))
        let byName = Dictionary(uniqueKeysWithValues: moment.services.map { ($0.service, $0) })
        #expect(byName["api"]?.state == .running && byName["api"]?.image == Self.p)
        #expect(byName["api"]?.since == Self.t("10:00:05"))
        #expect(byName["web"]?.state == .notDeployed && byName["web"]?.since == nil)
        #expect(moment.inProgress.map(\.commit) == ["c1"])
        let web = try #require(moment.inProgress.first?.services.first { $0.service == "web" })
        #expect(web.settled == Self.t("10:00:10") && web.to == Self.a)
    }

    @Test("after a converged rollout the service runs its to, put there by that commit, signed and committed by whom")
    func afterTheFirst() throws {
        let web = Self.web("10:00:10")
        #expect(web.state == .running && web.image == Self.a && web.since == Self.t("10:00:10"))
        let deployment = try #require(web.deployment)
        #expect(deployment.commit == "c1" && deployment.result == .converged)
        #expect(deployment.author == "Alice Approver <alice@example.com>")
        #expect(deployment.committer == "Carol Merger <carol@example.com>")
        #expect(deployment.signature == "ssh" && deployment.signer == "alice@example.com")
        #expect(deployment.started == Self.t("10:00:00") && deployment.finished == Self.t("10:00:10"))
        #expect(deployment.services.map(\.service) == ["web"], "only the service asked about")
        #expect(Self.timeline.moment(at: Self.t("10:00:10")).inProgress.isEmpty)
    }

    @Test("while a rollout that will roll back is in progress, the service still runs what it ran")
    func duringTheRollback() {
        let moment = Self.timeline.moment(at: Self.t("10:10:30"), service: "web")
        #expect(moment.services[0].state == .running && moment.services[0].image == Self.a)
        #expect(moment.inProgress.map(\.commit) == ["c2"])
        #expect(moment.inProgress[0].result == .rolledBack, "the outcome, as the note says now")
    }

    @Test("a rolled-back rollout leaves the last good image, names the rollback and who put the image there")
    func afterTheRollback() {
        let web = Self.web("10:11:00")
        #expect(web.state == .rolledBack && web.image == Self.a && web.since == Self.t("10:11:00"))
        #expect(web.deployment?.commit == "c1")
        #expect(web.rollback?.commit == "c2" && web.rollback?.services.first?.to == Self.b)
        #expect(web.rollback?.services.first?.reason == "no instance became healthy")
    }

    @Test("a deployment that left a service at its image, replacing nothing, does not take over its provenance")
    func unchangedService() {
        let api = Self.timeline.moment(at: Self.t("10:12:00"), service: "api").services[0]
        #expect(api.state == .running && api.deployment?.commit == "c1" && api.since == Self.t("10:00:05"))
    }

    @Test("a rejected commit changes nothing and is never in progress")
    func rejection() {
        #expect(Self.web("10:15:00") == Self.web("10:11:00"))
        #expect(Self.timeline.moment(at: Self.t("10:15:00")).inProgress.isEmpty)
    }

    @Test("a superseded rollout leaves the service in between until the next one settles it")
    func superseded() {
        #expect(Self.web("10:20:10").state == .rolledBack)
        #expect(Self.timeline.moment(at: Self.t("10:20:10")).inProgress.map(\.commit) == ["c4"])
        let between = Self.web("10:20:30")
        #expect(between.state == .superseded && between.image == nil && between.deployment?.commit == "c4")
        #expect(Self.timeline.moment(at: Self.t("10:20:30")).inProgress.map(\.commit) == ["c5"])
        let settled = Self.web("10:21:00")
        #expect(settled.state == .running && settled.image == Self.d && settled.deployment?.commit == "c5")
    }

    @Test("a failed rollout leaves both images, and a removal leaves nothing")
    func failedAndRemoved() {
        let moment = Self.timeline.moment(at: Self.t("10:31:00"))
        let byName = Dictionary(uniqueKeysWithValues: moment.services.map { ($0.service, $0) })
        #expect(byName["web"]?.state == .failed && byName["web"]?.image == nil)
        #expect(byName["web"]?.deployment?.services.first.map { [$0.from, $0.to] } == [Self.d, Self.e])
        #expect(byName["api"]?.state == .removed && byName["api"]?.since == Self.t("10:30:02"))
        #expect(byName.keys.sorted() == ["api", "cache", "web"])
    }

    @Test("an operator's rollback moves the service to the image its outcome names, back to who deployed it")
    func operatorRollback() throws {
        let web = Self.web("10:40:00")
        #expect(web.state == .rolledBack && web.image == Self.d && web.since == Self.t("10:40:00"))
        #expect(web.deployment?.commit == "c5" && web.rollback == nil)
        let action = try #require(web.action)
        #expect(action.by == "alice" && action.commit == "c6" && action.reason == "3.0.0 is slow")
        #expect(Self.web("10:39:59").state == .failed)
    }

    @Test("a note still in progress is in progress from its start on, and changes nothing yet")
    func stillInProgress() {
        let moment = Self.timeline.moment(at: Self.t("12:00:00"))
        #expect(moment.inProgress.map(\.commit) == ["c7"] && moment.inProgress[0].finished == nil)
        #expect(Self.web("12:00:00").state == .rolledBack)
        let api = Self.timeline.moment(at: Self.t("12:00:00"), service: "api")
        #expect(api.services.map(\.state) == [.removed] && api.inProgress.isEmpty)
    }

    @Test("a note left in progress ends when the next deployment starts")
    func abandonedNote() {
        let timeline = AuditTimeline([
            Self.entry(
                "x1", .inProgress, started: "10:00:00", finished: nil,
                services: ["web": ServiceStatus(result: .inProgress, to: Self.a)]),
            Self.entry(
                "x2", .converged, started: "10:05:00", finished: "10:06:00",
                services: ["web": ServiceStatus(result: .converged, to: Self.c, created: 1)]),
        ])
        #expect(timeline.moment(at: Self.t("10:04:59")).inProgress.map(\.commit) == ["x1"])
        #expect(timeline.moment(at: Self.t("10:05:00")).inProgress.map(\.commit) == ["x2"])
        #expect(timeline.moment(at: Self.t("10:04:59"), service: "web").services[0].state == .notDeployed)
    }

    @Test("a rollback with no earlier good image in the record keeps the note's from, without provenance")
    func rollbackWithoutHistory() {
        let timeline = AuditTimeline([
            Self.entry(
                "y1", .rolledBack, started: "10:00:00", finished: "10:01:00",
                services: ["web": ServiceStatus(result: .rolledBack, from: Self.a, to: Self.b)])
        ])
        let web = timeline.moment(at: Self.t("10:01:00"), service: "web").services[0]
        #expect(
            web.state == .rolledBack && web.image == Self.a && web.deployment == nil && web.rollback?.commit == "y1")
    }

    @Test("a same-image deployment that replaced instances (a changed env) becomes the provenance")
    func sameImageReplaced() {
        let timeline = AuditTimeline([
            Self.entry(
                "z1", .converged, started: "10:00:00", finished: "10:01:00",
                services: ["web": ServiceStatus(result: .converged, to: Self.a, created: 1)]),
            Self.entry(
                "z2", .converged, started: "10:05:00", finished: "10:06:00",
                services: ["web": ServiceStatus(result: .converged, from: Self.a, to: Self.a, created: 1, destroyed: 1)]
            ),
        ])
        #expect(timeline.moment(at: Self.t("10:06:00"), service: "web").services[0].deployment?.commit == "z2")
    }

    @Test("an operator's rollback whose outcome names no image is told as such")
    func rollbackWithoutImage() {
        let direct = OperatorAction(
            action: "rollback", service: "web", by: "cli:root", at: Self.t("10:02:00"),
            outcome: "written to the registry directly")
        let timeline = AuditTimeline([
            Self.entry(
                "w1", .converged, started: "10:00:00", finished: "10:01:00",
                services: ["web": ServiceStatus(result: .converged, to: Self.a, created: 1)], actions: [direct])
        ])
        let web = timeline.moment(at: Self.t("10:02:00"), service: "web").services[0]
        #expect(web.state == .rolledBack && web.image == nil && web.action?.by == "cli:root" && web.deployment == nil)
    }

    @Test("export: every event once, oldest first, a deployment one row per service, a rolled-back service a rollback")
    func events() {
        let rows = Self.timeline.events().map { "\($0.kind.rawValue) \($0.commit) \($0.service ?? "-")" }
        #expect(
            rows == [
                "deployment c0 cache",
                "deployment c1 api", "deployment c1 web",
                "deployment c2 api", "rollback c2 web",
                "rejection c3 -",
                "deployment c4 web",
                "deployment c5 web",
                "deployment c6 api", "deployment c6 web",
                "action c6 web", "action c6 -",
                "deployment c7 web",
            ])
    }

    @Test("export: each kind of row carries its fields")
    func eventFields() throws {
        let events = Self.timeline.events()
        let rollback = try #require(events.first { $0.kind == .rollback })
        #expect(rollback.time == Self.t("10:10:00") && rollback.finished == Self.t("10:11:00"))
        #expect(rollback.result == .rolledBack && rollback.serviceResult == .rolledBack)
        #expect(rollback.from == Self.a && rollback.to == Self.b && rollback.reason == "no instance became healthy")
        #expect(
            rollback.author == "Alice Approver <alice@example.com>"
                && rollback.committer == "Carol Merger <carol@example.com>")
        #expect(rollback.signature == "ssh" && rollback.signer == "alice@example.com" && rollback.by == "gitfleet-7f9c")
        let rejection = try #require(events.first { $0.kind == .rejection })
        #expect(
            rejection.time == Self.t("10:15:00") && rejection.result == .rejected && rejection.signature == "unverified"
        )
        #expect(rejection.reason == "The manifests at c3 are not valid.\nservices/web.yaml:3:1: spec: missing")
        let action = try #require(events.first { $0.kind == .action })
        #expect(action.time == Self.t("10:40:00") && action.by == "alice" && action.action == "rollback")
        #expect(action.result == nil && action.author == nil && action.outcome == Self.rollbackByAlice.outcome)
        let superseded = try #require(events.first { $0.commit == "c4" })
        #expect(superseded.result == .superseded && superseded.serviceResult == .inProgress)
        #expect(superseded.reason == "superseded by c5 before it settled")
        let open = try #require(events.last)
        #expect(open.result == .inProgress && open.finished == nil)
    }

    @Test("export: since is inclusive, until exclusive")
    func range() {
        let rows = Self.timeline.events(since: Self.t("10:10:00"), until: Self.t("10:20:00"))
        #expect(rows.map(\.commit) == ["c2", "c2", "c3"])
        #expect(Self.timeline.events(since: Self.t("13:00:00")).isEmpty)
        #expect(Self.timeline.events(until: Self.t("09:00:00")).isEmpty)
    }

    @Test("the order does not depend on the order the entries come in")
    func orderIndependent() {
        let reversed = AuditTimeline(Self.record.reversed())
        #expect(reversed.events() == Self.timeline.events())
        #expect(reversed.moment(at: Self.t("10:31:00")) == Self.timeline.moment(at: Self.t("10:31:00")))
    }
}
