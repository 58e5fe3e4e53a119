import FleetController
import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

@Suite("Freeze windows: the setting's lines, when a window is open, and which services wait", .tags(.fast))
struct FreezeWindowTests {
    static func utc(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    static func window(_ line: String) throws -> FreezeWindow { try FreezeWindow.parse(line).get() }

    @Test(
        "a window's line parses and prints back the same",
        arguments: [
            "weekend schedule=\"0 18 * * 5\" duration=64h timeZone=Europe/Berlin",
            "nightly schedule=\"0,30 1-3 * * mon-fri\" duration=30m services=web+api reason=\"batch jobs run\"",
            "christmas from=2026-12-24T00:00:00Z until=2026-12-27T00:00:00Z",
            "launch from=2026-12-24T00:00:00Z until=2026-12-24T06:00:00Z services=web reason=\"launch, day one\"",
        ])
    func roundTrip(line: String) throws {
        let window = try Self.window(line)
        #expect(try Self.window(window.description) == window)
    }

    @Test("quoted values keep their spaces and commas; items are split at commas outside quotes")
    func list() throws {
        let windows = try FreezeWindow.list(
            "weekend schedule=\"0 18 * * 5\" duration=64h reason=\"no deploys, please\","
                + " nightly schedule=\"0,30 2 * * *\" duration=1h services=web"
        ).get()
        #expect(windows.map(\.name) == ["weekend", "nightly"])
        #expect(windows[0].reason == "no deploys, please")
        #expect(windows[0].label == "weekend (no deploys, please)")
        #expect(windows[1].services == ["web"])
        guard case .recurring(let schedule, let duration) = windows[1].timing else {
            Issue.record("nightly is not recurring")
            return
        }
        #expect(schedule.minutes == [0, 30])
        #expect(duration == .seconds(3600))
        #expect(windows[1].covers("web") && !windows[1].covers("api") && windows[0].covers("api"))
    }

    @Test(
        "a bad window says which window and what was expected",
        arguments: [
            ("weekend duration=64h", "freeze window 'weekend' needs schedule=\"CRON\" duration= (recurring)"),
            ("weekend schedule=\"0 18 * *\" duration=64h", "freeze window 'weekend': schedule '0 18 * *' has 4 fields"),
            ("weekend schedule=\"0 18 * * 5\"", "freeze window 'weekend' needs duration="),
            ("weekend schedule=\"0 18 * * 5\" duration=3x", "'3x' in freeze window 'weekend' is not a duration"),
            (
                "weekend schedule=\"0 18 * * 5\" duration=1h timeZone=Mars/Base",
                "'Mars/Base' in freeze window 'weekend' is not a time zone"
            ),
            (
                "x from=2026-12-24 until=2026-12-27T00:00:00Z",
                "'2026-12-24' in freeze window 'x' is not an ISO 8601 time"
            ),
            ("x from=2026-12-27T00:00:00Z until=2026-12-24T00:00:00Z", "ends (until=) before it starts"),
            ("x from=2026-12-24T00:00:00Z", "needs until="),
            ("x from=2026-12-24T00:00:00Z until=2026-12-27T00:00:00Z duration=1h", "duration= belongs to a recurring"),
            ("x schedule=\"* * * * *\" duration=1h from=2026-12-24T00:00:00Z", "not both"),
            ("x schedule=\"* * * * *\" duration=1h services=web+", "services= in freeze window 'x' needs names"),
            ("x schedule=\"* * * * *\" duration=1h colour=red", "freeze window 'x' has no key 'colour'"),
            ("x schedule=\"* * * * *\" duration=1h reason=\"open", "has a \" that is not closed"),
            ("schedule=\"* * * * *\" duration=1h", "a freeze window starts with its name"),
        ])
    func bad(line: String, expected: String) {
        switch FreezeWindow.parse(line) {
        case .success(let window): Issue.record("'\(line)' parsed as \(window)")
        case .failure(let error): #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test("the setting takes a YAML list of lines; a bad line names the file, line and column, and the window")
    func setting() throws {
        let yaml = """
            repo: /srv/fleet
            freezeWindows:
              - weekend schedule="0 18 * * 5" duration=64h timeZone=Europe/Berlin reason="no deploys, please"
              - christmas from=2026-12-24T00:00:00Z until=2026-12-27T00:00:00Z services=web+api

            """
        let file = try SettingsFile.parse(Array(yaml.utf8), file: "config.yaml")
        let configuration = try ControllerConfiguration.resolve(file: file, environment: [:], flags: [:])
        #expect(configuration.freezeWindows.map(\.name) == ["weekend", "christmas"])
        #expect(configuration.freezeWindows[0].reason == "no deploys, please")

        let bad = try SettingsFile.parse(
            Array("repo: /srv/fleet\nfreezeWindows:\n  - weekend schedule=\"0 18 * * 5\" duration=3x\n".utf8),
            file: "config.yaml")
        let error = #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(file: bad, environment: [:], flags: [:])
        }
        #expect(
            error?.description.hasPrefix("config.yaml:3:3: freezeWindows: '3x' in freeze window 'weekend'") == true,
            "\(String(describing: error))")
    }

    @Test("two windows with one name are refused")
    func duplicateNames() {
        let result = FreezeWindow.list(
            "a from=2026-01-01T00:00:00Z until=2026-01-02T00:00:00Z,a schedule=\"* * * * *\" duration=1h")
        #expect(throws: FreezeWindowError.self) { try result.get() }
    }

    @Test("a one-off window is open from its start (included) until its end (excluded)")
    func once() throws {
        let window = try Self.window("x from=2026-12-24T00:00:00Z until=2026-12-27T00:00:00Z")
        #expect(window.openUntil(at: Self.utc("2026-12-23T23:59:59Z")) == nil)
        #expect(window.openUntil(at: Self.utc("2026-12-24T00:00:00Z")) == Self.utc("2026-12-27T00:00:00Z"))
        #expect(window.openUntil(at: Self.utc("2026-12-27T00:00:00Z")) == nil)
        #expect(window.nextOpening(after: Self.utc("2026-12-01T00:00:00Z")) == Self.utc("2026-12-24T00:00:00Z"))
        #expect(window.nextOpening(after: Self.utc("2026-12-25T00:00:00Z")) == nil)
    }

    @Test("a recurring window is open for its duration after each moment of its schedule, in its time zone")
    func recurring() throws {
        // Friday 18:00 in Berlin for 64 hours: until Monday 10:00 (CET, +01:00).
        let window = try Self.window("weekend schedule=\"0 18 * * 5\" duration=64h timeZone=Europe/Berlin")
        #expect(window.openUntil(at: Self.utc("2026-01-09T16:59:00Z")) == nil)
        #expect(window.openUntil(at: Self.utc("2026-01-09T17:00:00Z")) == Self.utc("2026-01-12T09:00:00Z"))
        #expect(window.openUntil(at: Self.utc("2026-01-11T12:00:00Z")) == Self.utc("2026-01-12T09:00:00Z"))
        #expect(window.openUntil(at: Self.utc("2026-01-12T09:00:00Z")) == nil)
        #expect(window.nextOpening(after: Self.utc("2026-01-12T09:00:00Z")) == Self.utc("2026-01-16T17:00:00Z"))
    }

    @Test("occurrences that overlap keep a window open until the last of them ends")
    func overlapping() throws {
        let window = try Self.window("busy schedule=\"0 * * * *\" duration=90m")
        #expect(window.openUntil(at: Self.utc("2026-01-01T00:10:00Z")) != nil)
        let until = try #require(window.openUntil(at: Self.utc("2026-01-01T05:10:00Z")))
        // Hourly openings of 90 minutes chain without end; the search stops at its bound, far ahead.
        #expect(until > Self.utc("2026-01-02T00:00:00Z"))
    }

    @Test("of several windows, the next to open is the earliest")
    func nextOfSeveral() throws {
        let windows = try FreezeWindow.list(
            "late from=2026-12-24T00:00:00Z until=2026-12-27T00:00:00Z,daily schedule=\"0 12 * * *\" duration=1h"
        ).get()
        let next = try #require(windows.nextOpening(after: Self.utc("2026-12-23T13:00:00Z")))
        #expect(next.window.name == "late")
        #expect(next.closes == Self.utc("2026-12-27T00:00:00Z"))
        #expect(windows.open(at: Self.utc("2026-12-24T12:30:00Z")).map(\.window.name).sorted() == ["daily", "late"])
    }

    // MARK: The reconcile decision

    static func spec(_ name: String, _ tag: String, dependsOn: [String] = []) -> ServiceSpec {
        var spec = ServiceSpec(name: name, image: ImageReference(repository: "demo/\(name)", tag: tag))
        spec.dependsOn = dependsOn
        return spec
    }

    static func state(_ spec: ServiceSpec) -> RolloutState {
        var state = RolloutState(
            service: spec.name, targetSpecHash: SpecHash(spec), lastGoodSpecHash: SpecHash(spec), lastGoodSpec: spec,
            phase: .idle, startedAt: utc("2026-01-01T00:00:00Z"))
        state.remember(spec)
        return state
    }

    static let open = [
        OpenFreezeWindow(
            window: try! window("web-only from=2026-01-01T00:00:00Z until=2026-01-02T00:00:00Z services=web"),
            until: utc("2026-01-02T00:00:00Z"))
    ]

    @Test("a frozen service keeps the spec it is at; an unfrozen one in the same commit rolls")
    func perService() {
        let desired = Fleet(name: "f", services: [Self.spec("web", "v2"), Self.spec("api", "v2")], revision: "c2")
        let decision = FreezeDecision(
            desired: desired, rollouts: [Self.state(Self.spec("web", "v1")), Self.state(Self.spec("api", "v1"))],
            open: Self.open)
        #expect(decision.fleet.service(named: "web") == Self.spec("web", "v1"))
        #expect(decision.fleet.service(named: "api") == Self.spec("api", "v2"))
        #expect(decision.holds.keys.sorted() == ["web"])
        #expect(
            decision.holds["web"]?.description == "waiting: freeze window web-only until 2026-01-02T00:00:00Z")
        #expect(decision.fleet.revision == "c2")
    }

    @Test("a rollout in flight when the window opens goes on to its target")
    func inFlight() {
        // The state's target is v2 (v1 was the last good): the commit asks v2, so nothing is held.
        var state = Self.state(Self.spec("web", "v1"))
        state.targetSpecHash = SpecHash(Self.spec("web", "v2"))
        state.phase = .progressing
        state.remember(Self.spec("web", "v2"))
        let decision = FreezeDecision(
            desired: Fleet(name: "f", services: [Self.spec("web", "v2")]), rollouts: [state], open: Self.open)
        #expect(decision.holds.isEmpty)
        #expect(decision.fleet.service(named: "web") == Self.spec("web", "v2"))
        // A newer commit in the window keeps the in-flight target rather than the last good spec.
        let newer = FreezeDecision(
            desired: Fleet(name: "f", services: [Self.spec("web", "v3")]), rollouts: [state], open: Self.open)
        #expect(newer.fleet.service(named: "web") == Self.spec("web", "v2"))
        #expect(newer.holds["web"] != nil)
    }

    @Test("a frozen service new in the commit is not created, and one the commit removes is kept")
    func addedAndRemoved() {
        let open = [
            OpenFreezeWindow(
                window: try! Self.window("all from=2026-01-01T00:00:00Z until=2026-01-02T00:00:00Z"),
                until: Self.utc("2026-01-02T00:00:00Z"))
        ]
        let decision = FreezeDecision(
            desired: Fleet(name: "f", services: [Self.spec("web", "v1"), Self.spec("new", "v1")]),
            rollouts: [Self.state(Self.spec("web", "v1")), Self.state(Self.spec("old", "v1"))], open: open)
        #expect(decision.fleet.services.map { $0.name } == ["old", "web"])
        #expect(decision.holds.keys.sorted() == ["new", "old"])
        // The converger reports on what it was given; the held services show as waiting, the new one too.
        let converged = decision.fleet.services.map { spec in
            ServiceConvergence(service: spec.name, phase: .converged, replicas: spec.replicas)
        }
        let report = decision.report(converged)
        #expect(report.map(\.service) == ["old", "web", "new"])
        #expect(report.map(\.phase.name.rawValue) == ["waiting", "converged", "waiting"])
        #expect(report.map(\.phase.isSettled) == [false, true, false], "the deployment stays open")
    }

    @Test("with no window open the desired fleet goes through as it is")
    func closed() {
        let desired = Fleet(name: "f", services: [Self.spec("web", "v2")])
        let decision = FreezeDecision(desired: desired, rollouts: [Self.state(Self.spec("web", "v1"))], open: [])
        #expect(decision.fleet == desired)
        #expect(decision.holds.isEmpty)
    }
}
