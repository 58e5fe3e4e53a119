import FleetController
import FleetModel
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FleetServer

/// The dashboard's pages, sign-in and action forms in a real server over real HTTP, on a recording endpoint;
/// scripts/test-dashboard drives the same pages in Chromium against a real `gitfleet serve`.
@Suite("HTTP server: the dashboard")
struct DashboardTests {
    static let tokens: [(name: String, scope: APIToken.Scope, secret: String)] = [
        ("viewer", .read, "read-secret-1"), ("oncall", .operate, "operate-secret-2"),
    ]

    /// The session cookie a signed-in browser sends for `secret`.
    static func session(_ secret: String) -> String {
        let encoded = Data(secret.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        return "gitfleet_session=\(encoded)"
    }

    static func browser(_ secret: String, origin port: Int? = nil) -> HTTPFields {
        var fields: HTTPFields = [.cookie: session(secret)]
        if let port { fields[.origin] = "http://127.0.0.1:\(port)" }
        return fields
    }

    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    @Test("without tokens the pages are open, list the services and offer the actions; assets are served")
    func openPages() async throws {
        try await RunningServer.with { server in
            let fleet = try await server.get("/")
            #expect(fleet.status == .ok)
            #expect(fleet.headers[.contentType] == "text/html; charset=utf-8")
            #expect(fleet.text.contains(#"<tr data-service="api">"#) && fleet.text.contains(#"data-service="web""#))
            #expect(fleet.text.contains("waiting for 2 instances to become healthy"))
            #expect(fleet.text.contains(#"formaction="/ui/suspend""#), "an anonymous caller may act")
            #expect(!fleet.text.contains("Sign out"), "nobody is signed in without tokens")
            let service = try await server.get("/services/web")
            #expect(service.status == .ok)
            #expect(service.text.contains(#"data-instance="web-5f3e-1""#))
            #expect(service.text.contains("127.0.0.1:41001"))
            #expect(service.text.contains(#"formaction="/ui/services/web/retry""#))
            #expect(try await server.get("/services/nothing").status == .notFound)
            #expect(try await server.get("/assets/dashboard.js").text.contains("EventSource"))
            #expect(try await server.get("/assets/dashboard.css").headers[.contentType] == "text/css; charset=utf-8")
        }
    }

    @Test("the events and commit pages render what the log and the notes say")
    func eventsAndCommits() async throws {
        let log = EventLog(capacity: 10, firstID: 1)
        await log.emit(
            .rolloutRetried, service: "web", "web: failed spec will be tried again", fields: ["by": "oncall"])
        let endpoint = RecordingEndpoint(events: log)
        let commit = String(repeating: "c", count: 40)
        await endpoint.setCommits(
            [:],
            history: [
                DeploymentHistoryEntry(
                    commit: commit, author: "Dana <dana@example.invalid>", date: Date(), summary: "web 1.1.0",
                    annotation: nil)
            ])
        try await RunningServer.with(endpoint: endpoint) { server in
            let events = try await server.get("/events")
            #expect(events.status == .ok)
            #expect(events.text.contains("rollout-retried") && events.text.contains("by oncall"))
            #expect(events.text.contains(#"data-last-event="1""#), "the live stream starts after the newest event")
            let page = try await server.get("/commits/\(commit)")
            #expect(page.status == .ok)
            #expect(page.text.contains("Dana &lt;dana@example.invalid&gt;") && page.text.contains("web 1.1.0"))
            #expect(page.text.contains(#"<span class="phase unknown">unknown</span>"#))
            let bad = try await server.get("/commits/bad")
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("Not a commit"))
        }
    }

    @Test("operator actions from the notes: on the commit page, and the service's on its page")
    func operatorActions() async throws {
        let endpoint = RecordingEndpoint()
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        let commit = String(repeating: "d", count: 40)
        let actions = [
            OperatorAction(
                action: "suspend", service: "web", by: "oncall", at: at, reason: "incident 42", outcome: "suspended"),
            OperatorAction(action: "suspend", service: nil, by: "oncall", at: at.addingTimeInterval(60)),
            OperatorAction(action: "retry", service: "api", by: "alice", at: at),
        ]
        let annotation = StatusAnnotation(
            result: .converged, fleet: "production", controller: "gitfleet-a", at: at, revision: commit,
            actions: actions)
        var document = CommitDocument(CommitOutcome(commit: commit, state: .converged), trackedBranch: "main")
        document.actions = actions.map(HistoryJSON.Action.init)
        await endpoint.setCommits(
            [commit: document],
            history: [
                DeploymentHistoryEntry(
                    commit: commit, author: "Dana", date: at, summary: "web 1.1.0", annotation: annotation)
            ])
        try await RunningServer.with(endpoint: endpoint) { server in
            let page = try await server.get("/commits/\(commit)").text
            #expect(page.contains("<h2>Operator actions</h2>"))
            #expect(page.contains("incident 42") && page.contains("the fleet") && page.contains("alice"))
            let service = try await server.get("/services/web").text
            let start = try #require(service.range(of: "<h2>Operator actions</h2>"))
            let section = String(service[start.lowerBound...])
            #expect(section.contains("incident 42") && section.contains("the fleet"), "the web's and the fleet's")
            #expect(!section.contains("alice"), "another service's action is not web's")
            #expect(section.contains(#"href="/commits/\#(commit)""#), "each names the commit whose note holds it")
        }
    }

    @Test("every value is escaped: markup in a reason or a fleet name is shown as text")
    func escaping() async throws {
        let endpoint = RecordingEndpoint()
        var status = await endpoint.status()
        status.fleet = #"<img src=x onerror="alert(1)">"#
        status.services[1].reason = "<script>alert('x')</script>"
        await endpoint.setStatus(status)
        try await RunningServer.with(endpoint: endpoint) { server in
            let page = try await server.get("/").text
            #expect(!page.contains("<script>alert"))
            #expect(!page.contains("<img src=x"))
            #expect(page.contains("&lt;script&gt;alert("))
            #expect(page.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"))
        }
    }

    @Test("with tokens: sign-in sets an HttpOnly SameSite=Strict cookie, a read session sees no actions and cannot act")
    func signInAndScopes() async throws {
        let endpoint = RecordingEndpoint()
        await endpoint.setRetry(["web": .nothingFailed])
        try await RunningServer.with(endpoint: endpoint, apiTokens: Self.tokens) { server in
            let origin: HTTPFields = [.origin: "http://127.0.0.1:\(server.port)"]
            let page = try await server.get("/services/web")
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/signin?next=/services/web")
            #expect(try await server.get("/signin").text.contains(#"name="token""#))
            #expect(try await server.get("/assets/dashboard.css").status == .ok, "the sign-in page needs its style")

            let wrong = try await server.request(
                .post, "/signin", headers: Self.form + origin, body: Array("token=nope&next=/".utf8))
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.setCookie] == nil)
            let signIn = try await server.request(
                .post, "/signin", headers: Self.form + origin,
                body: Array("token=read-secret-1&next=%2Fservices%2Fweb".utf8))
            #expect(signIn.status == .seeOther)
            #expect(signIn.headers[.location] == "/services/web")
            let cookies = signIn.headers[values: .setCookie]
            let session = try #require(cookies.first { $0.hasPrefix("gitfleet_session=") })
            #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/"))
            #expect(!session.contains("Secure"), "a plain-HTTP listener cannot keep a Secure cookie")
            #expect(!cookies.joined().contains("read-secret-1"), "the token is kept encoded, never as typed")
            let offsite = try await server.request(
                .post, "/signin", headers: Self.form + [.origin: "http://evil.example"],
                body: Array("token=read-secret-1&next=/".utf8))
            #expect(offsite.status == .forbidden, "a sign-in from another site's form")
            let away = try await server.request(
                .post, "/signin", headers: Self.form + origin,
                body: Array("token=read-secret-1&next=//evil.example".utf8))
            #expect(away.headers[.location] == "/", "sign-in returns to this server only")

            let read = try await server.request(.get, "/services/web", headers: Self.browser("read-secret-1"))
            #expect(read.status == .ok)
            #expect(read.text.contains("viewer (read)"))
            #expect(!read.text.contains("formaction="), "a read session sees no action")
            let events = try await server.request(.get, "/api/v1/status", headers: Self.browser("read-secret-1"))
            #expect(events.status == .ok, "the page's script reads the API with the session cookie")
            let refused = try await server.request(
                .post, "/ui/services/web/retry", headers: Self.browser("read-secret-1", origin: server.port) + Self.form
            )
            #expect(refused.status == .forbidden)
            #expect(await endpoint.retries.isEmpty)
            let stale = try await server.request(.get, "/", headers: Self.browser("revoked"))
            #expect(stale.status == .seeOther, "an unknown session signs in again")
            #expect(stale.headers[values: .setCookie].contains { $0.hasPrefix("gitfleet_session=;") })
        }
    }

    @Test("an operate session acts through the API's route, as itself, and is sent back with the outcome")
    func operateActs() async throws {
        let endpoint = RecordingEndpoint()
        await endpoint.setRetry(["web": .retried([SpecHash(rawValue: String(repeating: "a", count: 64))])])
        try await RunningServer.with(endpoint: endpoint, apiTokens: Self.tokens) { server in
            let operate = Self.browser("operate-secret-2", origin: server.port) + Self.form
            let page = try await server.request(.get, "/services/web", headers: Self.browser("operate-secret-2"))
            #expect(page.text.contains(#"formaction="/ui/services/web/retry""#))
            #expect(page.text.contains(#"formaction="/ui/services/web/suspend""#))

            let acted = try await server.request(
                .post, "/ui/services/web/retry", headers: operate, body: Array("reason=disk+full".utf8))
            #expect(acted.status == .seeOther)
            #expect(acted.headers[.location] == "/services/web")
            #expect(await endpoint.retryCallers == ["oncall"])
            let flash = try #require(acted.headers[values: .setCookie].first { $0.hasPrefix("gitfleet_flash=") })
            let value = String(flash.dropFirst("gitfleet_flash=".count).prefix { $0 != ";" })
            let shown = try await server.request(
                .get, "/services/web",
                headers: [.cookie: Self.session("operate-secret-2") + "; gitfleet_flash=\(value)"])
            #expect(shown.text.contains("Retrying 1 failed spec(s)."))

            // An action this build does not route yet answers with a message, not an error page.
            let missing = try await server.request(.post, "/ui/services/web/promote", headers: operate)
            #expect(missing.status == .seeOther)
            #expect(try await server.request(.post, "/ui/services/web/delete", headers: operate).status == .notFound)
        }
    }

    @Test("CSRF: a cookie-authenticated action needs an Origin (or Referer) of this server")
    func crossSite() async throws {
        let endpoint = RecordingEndpoint()
        await endpoint.setRetry(["web": .nothingFailed])
        try await RunningServer.with(endpoint: endpoint, apiTokens: Self.tokens) { server in
            let cookie = Self.browser("operate-secret-2")
            let none = try await server.request(.post, "/ui/services/web/retry", headers: cookie)
            #expect(none.status == .forbidden)
            #expect(none.text.contains(#""error":"cross_site_request""#))
            let evil = try await server.request(
                .post, "/api/v1/services/web/retry", headers: cookie + [.origin: "http://evil.example:\(server.port)"])
            #expect(evil.status == .forbidden, "the API's actions are guarded from a browser too")
            let referer = try await server.request(
                .post, "/api/v1/services/web/retry",
                headers: cookie + [.referer: "http://127.0.0.1:\(server.port)/services/web"])
            #expect(referer.status == .ok)
            let bearer = try await server.request(
                .post, "/api/v1/services/web/retry", headers: [.authorization: "Bearer operate-secret-2"])
            #expect(bearer.status == .ok, "a client with a header token is no browser: no Origin needed")
            #expect(await endpoint.retryCallers == ["oncall", "oncall"])
        }
    }

    @Test("a rollout's steps: a canary's weights up to where the ready share stands, or rolling's three phases")
    func steps() {
        let canary = RolloutPolicy(
            strategy: .canary,
            steps: [
                .init(weight: 25, pause: .seconds(30)), .init(weight: 50, pause: .seconds(60)),
                .init(weight: 75, pause: .zero, gate: true),
            ])
        let midway = DashboardView.steps(of: canary, ready: 1, replicas: 4, settled: false)
        #expect(
            midway.map(\.text) == [
                "25% on the new spec, then wait 30s", "50% on the new spec, then wait 1m",
                "75% on the new spec, then wait for promote", "all instances on the new spec",
            ])
        #expect(midway.map(\.state) == ["done", "now", "next", "next"])
        #expect(DashboardView.steps(of: canary, ready: 4, replicas: 4, settled: true).allSatisfy { $0.state == "done" })
        let rolling = DashboardView.steps(of: RolloutPolicy(), ready: 0, replicas: 3, settled: false)
        #expect(rolling.map(\.state) == ["now", "next", "next"])
        #expect(DashboardView.steps(of: nil, ready: 0, replicas: 3, settled: false).isEmpty)
    }

    @Test("the day-2 markers: suspended (a service, or the whole fleet), paused at a gate, pinned by a rollback")
    func markers() async throws {
        let endpoint = RecordingEndpoint()
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        var status = await endpoint.status()
        status.suspended = Attribution(by: "oncall", at: at, reason: "change freeze")
        status.services[0].suspended = status.suspended
        status.services[1].suspended = Attribution(by: "alice", at: at, reason: "<b>bad</b> 2.0")
        status.services[1].gate = CanaryGate(step: 2, weight: 25, since: at)
        await endpoint.setStatus(status)
        try await RunningServer.with(endpoint: endpoint) { server in
            let page = try await server.get("/").text
            #expect(
                page.contains(
                    #"<span class="marker suspended" title="by oncall at 2026-09-21 14:13:20 UTC — change freeze">fleet suspended</span>"#
                ))
            let web = try #require(page.range(of: #"<tr data-service="web">"#)).upperBound
            let row = String(page[web...].prefix(1500))
            #expect(
                row.contains(
                    #"title="by alice at 2026-09-21 14:13:20 UTC — &lt;b&gt;bad&lt;/b&gt; 2.0">suspended</span>"#))
            #expect(
                row.contains(
                    #"title="waiting for promote at step 2 (25% of traffic) since 2026-09-21 14:13:20 UTC">paused</span>"#
                ))
        }
        let markers = DashboardView.markers(
            suspended: nil, pinned: nil, gate: nil, fleetSuspended: nil,
            frozenBy: [FreezeWindowSummary(name: "black-friday", services: ["api"], until: at)], service: "web")
        #expect(markers.isEmpty, "a window that covers other services does not freeze this one")
    }
}
