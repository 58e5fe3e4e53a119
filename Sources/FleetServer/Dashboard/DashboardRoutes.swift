import FleetController
import FleetModel
import FleetPlanner
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers

/// The web dashboard: server-rendered pages at `/`, `/services/{name}`, `/commits/{rev}` and `/events`, the
/// sign-in and sign-out of a browser, and the forms of its actions (docs/dashboard.md).
///
/// Every page is built from the `ControllerEndpoint` answers the JSON API serves and is readable without
/// JavaScript; the script only makes it live. An action form posts to `/ui/…`, which sends the same request
/// to the contract's API route (`/api/v1/services/{name}/suspend`, …) through the server's own router, then
/// redirects back with the answer's message: the dashboard acts exactly as the API does (scope, validation,
/// who is recorded), and an action the controller does not offer yet answers with a message, not a crash.
struct DashboardRoutes: Sendable {
    let endpoint: any ControllerEndpoint
    let tokens: APITokenStore?
    /// Whether the listener has TLS: the session cookie is then `Secure`.
    let secureCookies: Bool
    /// The whole router's responder, set once the router is built, through which actions reach the API routes.
    let router: NIOLockedValueBox<RouterResponder<ControllerRequestContext>?>

    /// The per-service actions, each a route of the HTTP contract (issue 15): label, API verb, button style.
    static let serviceActions: [(label: String, verb: String, kind: String)] = [
        ("Suspend", "suspend", ""), ("Resume", "resume", ""), ("Promote", "promote", ""),
        ("Abort", "abort", "danger"), ("Roll back", "rollback", "danger"), ("Retry", "retry", ""),
    ]
    /// The fleet-wide actions.
    static let fleetActions: [(label: String, verb: String, kind: String)] = [
        ("Suspend fleet", "suspend", "danger"), ("Resume fleet", "resume", ""),
    ]
    /// The most of a form body read: a reason of 1,000 characters and a token fit many times over.
    static let maxFormSize = 16 * 1024

    func install(on router: Router<ControllerRequestContext>) {
        DashboardAssets.install(on: router)
        router.get("/") { request, context in
            await page(request, context, title: "Fleet") { try await fleetPage(context) }
        }
        router.get("/events") { request, context in
            await page(request, context, title: "Events") { try await eventsPage() }
        }
        router.get("/services/:name") { request, context in
            let name = try context.parameters.require("name")
            return await page(request, context, title: name) { try await servicePage(name, context) }
        }
        router.get("/commits/:rev") { request, context in
            let revision = try context.parameters.require("rev")
            return await page(request, context, title: "Commit \(revision.prefix(10))") {
                try await commitPage(revision)
            }
        }
        router.get(RouterPath(stringLiteral: DashboardSession.signInPath)) { request, context in
            let view = DashboardView.SignIn(
                next: DashboardSession.localPath(request.uri.queryParameters.get("next")), problem: nil,
                open: tokens == nil)
            return await html(request, context, title: "Sign in", template: "signin", view: view)
        }
        router.post(RouterPath(stringLiteral: DashboardSession.signInPath)) { request, context in
            await signIn(request, context)
        }
        router.post(RouterPath(stringLiteral: DashboardSession.signOutPath)) { _, _ in
            var response = DashboardSession.redirect(to: tokens == nil ? "/" : DashboardSession.signInPath)
            response.setCookie(DashboardSession.cookie(holding: nil, secure: secureCookies))
            return response
        }
        router.post("/ui/:verb") { request, context in
            let verb = try context.parameters.require("verb")
            guard Self.fleetActions.contains(where: { $0.verb == verb }) else { throw HTTPError(.notFound) }
            return await act(request, context, apiPath: "/api/v1/\(verb)", back: "/", label: "\(verb) the fleet")
        }
        router.post("/ui/services/:name/:verb") { request, context in
            let name = try context.parameters.require("name")
            let verb = try context.parameters.require("verb")
            guard Self.serviceActions.contains(where: { $0.verb == verb }) else { throw HTTPError(.notFound) }
            let encoded = DashboardSession.percentEncoded(name) ?? name
            return await act(
                request, context, apiPath: "/api/v1/services/\(encoded)/\(verb)",
                back: DashboardView.servicePath(name), label: "\(verb) \(name)")
        }
    }

    // MARK: Pages

    /// What a page handler produces: its template and view, or a status with a message page.
    enum Page {
        case page(template: String, view: Any)
        case message(HTTPResponse.Status, heading: String, message: String)
    }

    private func page(
        _ request: Request, _ context: ControllerRequestContext, title: String,
        _ build: () async throws -> Page
    ) async -> Response {
        let built: Page
        do {
            built = try await build()
        } catch let error as BadRevision {
            built = .message(.badRequest, heading: "Not a commit", message: error.message)
        } catch {
            context.logger.warning("a dashboard page could not be built: \(error)")
            built = .message(
                .serviceUnavailable, heading: "Not available now", message: "The page cannot be read now: \(error)")
        }
        switch built {
        case .page(let template, let view):
            return await html(request, context, title: title, template: template, view: view)
        case .message(let status, let heading, let message):
            return await html(
                request, context, title: heading, template: "message",
                view: DashboardView.Message(heading: heading, message: message), status: status)
        }
    }

    private func html(
        _ request: Request, _ context: ControllerRequestContext, title: String, template: String, view: Any,
        status: HTTPResponse.Status = .ok
    ) async -> Response {
        let flash = DashboardSession.flash(in: request)
        let layout = DashboardView.Layout(
            title: title, content: "", flash: flash,
            caller: tokens == nil ? nil : context.caller, scope: tokens == nil ? nil : context.scope.rawValue,
            eventKinds: FleetEvent.Kind.allCases.map(\.rawValue).joined(separator: " "),
            lastEventID: await endpoint.events?.events(limit: 1).lastID.map { "\($0)" } ?? "")
        var response = Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; "
                    + "form-action 'self'; base-uri 'none'",
                .xContentTypeOptions: "nosniff", .referrerPolicy: "same-origin",
            ],
            body: .init(byteBuffer: ByteBuffer(string: DashboardTemplates.render(template, view, layout: layout))))
        if flash != nil { response.setCookie(DashboardSession.flashCookie(nil, secure: secureCookies)) }
        return response
    }

    private func actions(
        _ list: [(label: String, verb: String, kind: String)], prefix: String, context: ControllerRequestContext
    ) -> [DashboardView.Action] {
        // A read caller sees none; the server refuses their POST anyway.
        guard context.scope >= .operate else { return [] }
        return list.map { DashboardView.Action(label: $0.label, path: "\(prefix)/\($0.verb)", kind: $0.kind) }
    }

    private func fleetPage(_ context: ControllerRequestContext) async throws -> Page {
        let status = await endpoint.status()
        let readiness = await endpoint.readiness()
        let live = try? await endpoint.live()
        let windows = status.freeze?.active ?? []
        let rows = status.services.map { service in
            let running = Set(
                (live?.instances ?? []).filter { $0.service == service.name && $0.state.isLive }.map(\.image)
            ).subtracting(service.image.map { [$0] } ?? []).sorted()
            let rollout = live?.rollouts.first { $0.service == service.name }
            return DashboardView.ServiceRow(
                name: service.name, path: DashboardView.servicePath(service.name), phase: service.result,
                desiredImage: service.image, running: running, ready: service.ready, replicas: service.replicas,
                percent: DashboardView.percent(ready: service.ready, of: service.replicas),
                rollout: rollout.flatMap { $0.phase == "idle" ? nil : $0.phase },
                markers: DashboardView.markers(
                    suspended: service.suspended, pinned: service.pinned, gate: service.gate,
                    fleetSuspended: status.suspended, frozenBy: windows, service: service.name),
                reason: service.reason)
        }
        let discovery = status.discovery.map { summary in
            summary.failing
                ? "failing (\(summary.failures) in a row)" + (summary.problem.map { ": \($0)" } ?? "")
                : "published" + (DashboardView.time(summary.lastConfirmedAt).map { ", confirmed \($0)" } ?? "")
        }
        let next = status.freeze?.next.map { window in
            "\(window.name) from \(DashboardView.time(window.from) ?? "?") until \(DashboardView.time(window.until) ?? "?")"
        }
        let events = await endpoint.events?.events(limit: 15).events.reversed().map(DashboardView.event) ?? []
        let actions = actions(Self.fleetActions, prefix: "/ui", context: context)
        return .page(
            template: "fleet",
            view: DashboardView.Fleet(
                name: status.fleet ?? "fleet", phase: status.result, branch: status.trackedBranch,
                deployed: .init(status.revision), fetched: .init(status.fetchedRevision),
                behind: status.fetchedRevision != nil && status.fetchedRevision != status.revision,
                lastFetch: DashboardView.time(status.lastFetchAt),
                lastReconcile: DashboardView.time(status.lastReconcileAt), problems: readiness.reasons,
                role: status.role, leader: status.leader, discoveryState: discovery,
                discoveryFailing: status.discovery?.failing ?? false,
                suspended: status.suspended.map { DashboardView.marker(suspended: $0, fleetWide: true) },
                freeze: windows.filter { $0.services == nil }.map(DashboardView.frozen(by:)), nextFreeze: next,
                services: rows, events: events, actions: actions, reasonField: !actions.isEmpty))
    }

    private func servicePage(_ name: String, _ context: ControllerRequestContext) async throws -> Page {
        guard let document = await endpoint.service(named: name) else {
            return .message(
                .notFound, heading: "No such service", message: "The controller knows no service '\(name)'.")
        }
        let status = await endpoint.status()
        let live = try? await endpoint.live()
        let now = Date()
        let encodedName = DashboardSession.percentEncoded(name) ?? name
        let instances = document.instances.map { instance in
            DashboardView.Instance(
                id: instance.id, state: instance.state, age: DashboardView.age(since: instance.createdAt, now: now),
                address: instance.address.map { address in
                    instance.ports.isEmpty
                        ? address
                        : instance.ports.sorted { $0.key < $1.key }.map { "\(address):\($0.value)" }.joined(
                            separator: " ")
                }, digest: Self.digest(of: instance.image), specHash: String(instance.specHash.prefix(12)),
                current: instance.specHash == document.specHash, failure: instance.reason,
                logsPath: "/api/v1/services/\(encodedName)/instances/"
                    + "\(DashboardSession.percentEncoded(instance.id) ?? instance.id)/logs")
        }
        var kept: [DashboardView.KeptLogs] = []
        for instance in document.instances where instance.state == InstanceState.quarantined.rawValue {
            let answer = try? await endpoint.instanceLogs(service: name, instance: instance.id, tail: 60)
            if case .output(let text)? = answer {
                kept.append(.init(id: instance.id, failure: instance.reason, text: text))
            } else {
                kept.append(.init(id: instance.id, failure: instance.reason, text: "(no output kept)"))
            }
        }
        var history: [DashboardView.HistoryRow] = []
        var operatorActions: [DashboardView.OperatorAction] = []
        var historyUnavailable: String?
        do {
            // Every note (not only those that touched the service): an action may have been taken at any commit.
            if let entries = try await endpoint.history(service: nil) {
                operatorActions = entries.flatMap { entry in
                    // The service's own and the whole fleet's, which held it too.
                    (entry.annotation?.actions ?? []).filter { $0.service == nil || $0.service == name }.map {
                        DashboardView.operatorAction(HistoryJSON.Action($0), commit: entry.commit)
                    }
                }.sorted { $0.when > $1.when }.prefix(20).map { $0 }
            }
            if let entries = try await endpoint.history(service: name) {
                history = entries.prefix(20).map { entry in
                    let noted = entry.annotation?.services[name]
                    return DashboardView.HistoryRow(
                        commit: .init(entry.commit), summary: entry.summary, author: entry.author,
                        signer: entry.annotation?.signature.map { $0.signer ?? $0.method },
                        result: noted?.result.rawValue, change: DashboardView.change(from: noted?.from, to: noted?.to),
                        when: DashboardView.time(entry.date) ?? "", noteReason: noted?.reason)
                }
            } else {
                historyUnavailable = "This server reads no repository."
            }
        } catch {
            historyUnavailable = "The history cannot be read now: \(error)"
        }
        let rollout = live?.rollouts.first { $0.service == name }.map { rollout in
            let policy =
                (live?.appliedSpecs[rollout.targetSpecHash.rawValue]
                ?? rollout.lastGoodSpecHash.flatMap { live?.appliedSpecs[$0.rawValue] })?.rollout
            return DashboardView.Rollout(
                phase: rollout.phase, target: String(rollout.targetSpecHash.rawValue.prefix(12)),
                targetRevision: .init(rollout.targetRevision),
                lastGood: rollout.lastGoodSpecHash.map { String($0.rawValue.prefix(12)) },
                lastGoodRevision: .init(rollout.lastGoodRevision),
                failed: rollout.failedSpecHashes.map { String($0.rawValue.prefix(12)) }, message: rollout.message,
                gate: document.gate.map(DashboardView.gateText),
                // Steps say where a rollout stands; after a rollback or a failure the phase and reason say it.
                steps: !["idle", "progressing", "paused"].contains(rollout.phase)
                    ? []
                    : DashboardView.steps(
                        of: policy, ready: document.ready, replicas: document.replicas,
                        settled: rollout.phase == "idle" && document.ready >= document.replicas))
        }
        let actions = actions(Self.serviceActions, prefix: "/ui/services/\(encodedName)", context: context)
        return .page(
            template: "service",
            view: DashboardView.Service(
                name: name, phase: document.result, reason: document.reason,
                markers: DashboardView.markers(
                    suspended: document.suspended, pinned: document.pinned, gate: document.gate,
                    fleetSuspended: status.suspended, frozenBy: status.freeze?.active ?? [], service: name),
                desiredImage: document.image, specHash: document.specHash, revision: .init(document.revision),
                ready: document.ready, replicas: document.replicas,
                percent: DashboardView.percent(ready: document.ready, of: document.replicas), rollout: rollout,
                instances: instances, quarantined: kept, history: history, operatorActions: operatorActions,
                historyUnavailable: historyUnavailable,
                actions: actions, reasonField: !actions.isEmpty))
    }

    private func commitPage(_ revision: String) async throws -> Page {
        guard let document = try await endpoint.commit(revision) else {
            return .message(.notFound, heading: "No repository", message: "This server reads no repository.")
        }
        let entry = try? await endpoint.history(service: nil)?.first { $0.commit == document.commit }
        let services = (document.services ?? [:]).sorted { $0.key < $1.key }.map { name, service in
            DashboardView.CommitService(
                name: name, path: DashboardView.servicePath(name), result: service.result,
                change: DashboardView.change(from: service.from, to: service.to), created: service.created,
                destroyed: service.destroyed, took: service.tookSeconds.map { "\($0)s" }, serviceReason: service.reason)
        }
        let signature = entry?.annotation?.signature.map { signature in
            signature.method + (signature.signer.map { ", signed by \($0)" } ?? "")
        }
        return .page(
            template: "commit",
            view: DashboardView.Commit(
                commit: document.commit, short: String(document.commit.prefix(10)), state: document.state,
                summary: entry?.summary, author: entry?.author, date: DashboardView.time(entry?.date),
                signature: signature,
                handledAs: document.handledAs == document.commit ? nil : .init(document.handledAs),
                notedAt: DashboardView.time(document.at), reason: document.reason, errors: document.errors ?? [],
                services: services,
                operatorActions: (document.actions ?? []).map { DashboardView.operatorAction($0, commit: nil) }))
    }

    private func eventsPage() async throws -> Page {
        guard let log = endpoint.events else {
            return .message(.notFound, heading: "No events", message: "This controller keeps no event log.")
        }
        let events = await log.events().events.reversed().map(DashboardView.event)
        return .page(template: "events", view: DashboardView.Events(events: events))
    }

    /// `sha256:0123456789ab` of a pinned image, or the image as it is when it names no digest.
    static func digest(of image: String) -> String {
        guard let at = image.range(of: "@") else { return image }
        return String(image[at.upperBound...].prefix(19))
    }

    // MARK: Sign-in and actions

    private struct SignInForm: Decodable {
        var token: String?
        var next: String?
    }

    private struct ActionForm: Decodable {
        var reason: String?
    }

    private func signIn(_ request: Request, _ context: ControllerRequestContext) async -> Response {
        let form = await Self.form(SignInForm.self, of: request)
        let next = DashboardSession.localPath(form?.next)
        guard let tokens else { return DashboardSession.redirect(to: next) }
        let presented = (form?.token ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let token = presented.isEmpty ? nil : tokens.token(for: presented) else {
            context.logger.notice("dashboard sign-in with a token this server does not accept")
            return await html(
                request, context, title: "Sign in", template: "signin",
                view: DashboardView.SignIn(
                    next: next, problem: "That token is not one this server accepts.", open: false),
                status: .unauthorized)
        }
        context.logger.info("dashboard sign-in", metadata: ["caller": "\(token.name)"])
        var response = DashboardSession.redirect(to: next)
        response.setCookie(DashboardSession.cookie(holding: presented, secure: secureCookies))
        response.setCookie(
            DashboardSession.flashCookie(
                "Signed in as \(token.name) (\(token.scope.rawValue)).", secure: secureCookies))
        return response
    }

    /// Sends the action to its API route with the form's reason, then back to `back` with a flash message.
    private func act(
        _ request: Request, _ context: ControllerRequestContext, apiPath: String, back: String, label: String
    ) async -> Response {
        let form = await Self.form(ActionForm.self, of: request)
        var body = ByteBuffer()
        if let reason = form?.reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty {
            body = ByteBuffer(bytes: (try? JSONEncoder().encode(["reason": reason])) ?? Data())
        }
        var headers = request.headers
        headers[.contentType] = "application/json"
        headers[.contentLength] = "\(body.readableBytes)"
        let forwarded = Request(
            head: HTTPRequest(
                method: .post, scheme: request.head.scheme, authority: request.head.authority, path: apiPath,
                headerFields: headers),
            body: RequestBody(buffer: body))
        let message: String
        if let responder = router.withLockedValue({ $0 }) {
            do {
                let answer = try await responder.respond(to: forwarded, context: context)
                message = await Self.sentence(of: answer, label: label)
            } catch let error as any HTTPResponseError where error.status == .notFound {
                message = "This controller does not offer “\(label)”."
            } catch {
                message = "“\(label)” failed: \(error)"
            }
        } else {
            message = "The server is still starting; ask again."
        }
        var response = DashboardSession.redirect(to: back)
        response.setCookie(DashboardSession.flashCookie(message, secure: secureCookies))
        return response
    }

    /// The person's sentence of an API answer: its `message` (every action's reply and every error has one),
    /// else what a retry forgot.
    private static func sentence(of answer: Response, label: String) async -> String {
        let collected = NIOLockedValueBox(ByteBuffer())
        try? await answer.body.write(Collector(buffer: collected))
        let data = Data(buffer: collected.withLockedValue { $0 })
        struct Reply: Decodable {
            var message: String?
            var retried: [String]?
        }
        let reply = try? JSONDecoder().decode(Reply.self, from: data)
        let ok = (200..<300).contains(answer.status.code)
        if answer.status == .notFound && reply?.message == nil {
            return "This controller does not offer “\(label)”."
        }
        if let message = reply?.message { return ok ? message : "“\(label)” refused: \(message)" }
        if let retried = reply?.retried {
            return retried.isEmpty
                ? "Nothing had failed; nothing to retry." : "Retrying \(retried.count) failed spec(s)."
        }
        return ok ? "Done: \(label)." : "“\(label)” failed (\(answer.status.code))."
    }

    private struct Collector: ResponseBodyWriter {
        let buffer: NIOLockedValueBox<ByteBuffer>

        mutating func write(_ part: ByteBuffer) async throws {
            var part = part
            buffer.withLockedValue { _ = $0.writeBuffer(&part) }
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    private static func form<Form: Decodable>(_ type: Form.Type, of request: Request) async -> Form? {
        guard let body = try? await request.body.collect(upTo: maxFormSize) else { return nil }
        return try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
