import FleetController
import FleetModel
import FleetPlanner
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The request handlers of `ControllerHTTPServer`.
struct ControllerRoutes: Sendable {
    let endpoint: any ControllerEndpoint
    let metrics: FleetMetrics
    let secrets: [WebhookProvider: WebhookSecret]
    let maxBodySize: Int
    let eventKeepAlive: Duration

    /// `GET /healthz`, on every listener.
    func installHealth(on router: Router<ControllerRequestContext>) {
        router.get("/healthz") { _, _ in
            Response.text("ok\n")
        }
    }

    /// Health, readiness, metrics and the JSON API: the main listener's routes.
    func installAPI(on router: Router<ControllerRequestContext>) {
        installHealth(on: router)
        router.get("/readyz") { _, _ in
            let readiness = await endpoint.readiness()
            return Response.json(readiness, status: readiness.ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            Response.text(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/api/v1/status") { _, _ in
            Response.json(await endpoint.status())
        }
        router.get("/api/v1/live") { _, _ in
            let live: LiveStateDocument?
            do {
                live = try await endpoint.live()
            } catch {
                return Response.error(
                    .serviceUnavailable, code: "registry_unavailable", "the registry cannot be read: \(error)")
            }
            guard let document = live else {
                return Response.error(.notFound, code: "live_state_unavailable", "this server keeps no live state")
            }
            // The file format itself, byte for byte, so `status --json` and this answer plan the same.
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: LiveStateFile.encode(document))))
        }
        router.get("/api/v1/services/:name") { _, context in
            let name = try context.parameters.require("name")
            guard let document = await endpoint.service(named: name) else {
                return Response.error(.notFound, code: "service_not_found", "no service named '\(name)'")
            }
            return Response.json(document)
        }
        router.get("/api/v1/discovery") { request, _ in
            try await discovery(request)
        }
        router.get("/api/v1/agents") { _, _ in
            await agents()
        }
        router.post("/api/v1/agents/:name") { request, context in
            await receiveAgentReport(
                name: try context.parameters.require("name"), request: request, logger: context.logger)
        }
        router.get("/api/v1/events") { request, _ in
            await EventsRoute(keepAlive: eventKeepAlive).answer(request, log: endpoint.events)
        }
        router.get("/api/v1/commits/:rev") { _, context in
            try await commit(context.parameters.require("rev"), logger: context.logger)
        }
        router.get("/api/v1/history") { request, context in
            await history(request, logger: context.logger)
        }
        router.post("/api/v1/services/:name/retry") { request, context in
            await retry(service: try context.parameters.require("name"), request: request, context: context)
        }
        for action in [ServiceControl.Action.suspend, .resume] {
            router.post("/api/v1/\(action.rawValue)") { request, context in
                await control(action, service: nil, request: request, context: context)
            }
        }
        for action in ServiceControl.Action.allCases {
            router.post("/api/v1/services/:name/\(action.rawValue)") { request, context in
                await control(
                    action, service: try context.parameters.require("name"), request: request, context: context)
            }
        }
        for action in GateAction.allCases {
            router.post("/api/v1/services/:name/\(action.rawValue)") { request, context in
                await gate(
                    action, service: try context.parameters.require("name"), request: request, by: context.caller,
                    logger: context.logger)
            }
        }
        router.get("/api/v1/services/:name/instances/:id/logs") { request, context in
            try await instanceLogs(
                service: context.parameters.require("name"), instance: context.parameters.require("id"),
                request: request, logger: context.logger)
        }
    }

    /// `POST /webhooks/{provider}`: on the main listener, or on the webhook listener when there is one.
    func installWebhooks(on router: Router<ControllerRequestContext>) {
        router.post("/webhooks/:provider") { request, context in
            let name = try context.parameters.require("provider")
            guard let provider = WebhookProvider(rawValue: name) else {
                return Response.error(.notFound, code: "unknown_provider", "no webhook provider named '\(name)'")
            }
            return await receiveWebhook(request, from: provider, logger: context.logger)
        }
    }

    /// The serving set; with `index` (or `If-None-Match`) equal to the current entity tag, waits up to
    /// `wait` (at most 5m) for a change and answers 304 if none came.
    private func discovery(_ request: Request) async throws -> Response {
        let index = request.uri.queryParameters.get("index") ?? request.headers[.ifNoneMatch]
        var wait = Duration.zero
        if let text = request.uri.queryParameters.get("wait") {
            guard let parsed = Duration.manifest(text), parsed >= .zero, parsed <= .seconds(300) else {
                return Response.error(
                    .badRequest, code: "bad_wait", "wait '\(text)' is not a duration from 0s to 5m (e.g. 30s)")
            }
            wait = parsed
        }
        guard let document = await endpoint.discovery(changedFrom: index, wait: wait) else {
            return Response.error(.notFound, code: "discovery_disabled", "this controller publishes no serving set")
        }
        if document.index == index {
            return Response(status: .notModified, headers: [.eTag: document.index])
        }
        var response = Response.json(document)
        response.headers[.eTag] = document.index
        return response
    }

    /// What the controller made of one commit; `state: unknown` (200) for a commit the repository lacks,
    /// since the controller may not have fetched it yet.
    private func commit(_ revision: String, logger: Logger) async -> Response {
        do {
            guard let document = try await endpoint.commit(revision) else {
                return Response.error(.notFound, code: "commits_unavailable", "this server reads no repository")
            }
            return Response.json(document)
        } catch let error as BadRevision {
            return Response.error(.badRequest, code: error.code, error.message)
        } catch {
            return repositoryUnavailable(error, logger: logger)
        }
    }

    /// The deployment history, as `gitfleet history --json` prints it; `?service=S` keeps the deployments that
    /// touched S, `?limit=N` the newest N.
    private func history(_ request: Request, logger: Logger) async -> Response {
        let query = request.uri.queryParameters
        var limit: Int?
        if let text = query.get("limit") {
            guard let parsed = Int(text), parsed > 0 else {
                return Response.error(.badRequest, code: "bad_limit", "limit '\(text)' is not a whole number above 0")
            }
            limit = parsed
        }
        let service = query.get("service")
        do {
            guard var entries = try await endpoint.history(service: service) else {
                return Response.error(.notFound, code: "history_unavailable", "this server reads no repository")
            }
            if let limit { entries = Array(entries.prefix(limit)) }
            let body = try HistoryJSON.encode(entries, service: service)
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        } catch {
            return repositoryUnavailable(error, logger: logger)
        }
    }

    /// 503: the answer depends on Git, which could not be read now (a clone not made yet, a broken repository).
    private func repositoryUnavailable(_ error: any Error, logger: Logger) -> Response {
        logger.warning("the repository could not be read for an API request: \(error)")
        return Response.error(
            .serviceUnavailable, code: "repository_unavailable", "the repository cannot be read now: \(error)")
    }

    private func receiveWebhook(_ request: Request, from provider: WebhookProvider, logger base: Logger) async
        -> Response
    {
        var logger = base
        logger[metadataKey: "provider"] = "\(provider.rawValue)"
        guard let secret = secrets[provider] else {
            return Response.error(
                .notFound, code: "webhook_disabled",
                "the \(provider.rawValue) webhook is disabled: no secret is configured for it"
            )
        }
        let tooLarge = Response.error(
            .contentTooLarge, code: "body_too_large", "the body exceeds the limit of \(maxBodySize) bytes"
        )
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodySize {
            metrics.recordWebhook(provider: provider.rawValue, outcome: "too_large")
            return tooLarge
        }
        let body: ByteBuffer
        do {
            // Reading stops at the limit, so a body without (or lying in) Content-Length costs no more memory.
            body = try await request.body.collect(upTo: maxBodySize)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            metrics.recordWebhook(provider: provider.rawValue, outcome: "too_large")
            return tooLarge
        } catch {
            logger.notice("webhook body could not be read: \(error)")
            return Response.error(.badRequest, code: "body_unreadable", "The body could not be read to its end.")
        }

        let delivery = WebhookDelivery(provider: provider, headers: request.headers, body: Array(buffer: body))
        if let id = delivery.deliveryID { logger[metadataKey: "delivery"] = "\(id)" }
        switch delivery.verdict(secret: secret, trackedBranch: endpoint.trackedBranch) {
        case .unauthorized(let reason):
            metrics.recordWebhook(provider: provider.rawValue, outcome: "unauthorized")
            logger.warning("rejected \(provider.rawValue) webhook: \(reason)")
            return Response.error(.unauthorized, code: "unauthorized", reason)
        case .malformed(let reason):
            metrics.recordWebhook(provider: provider.rawValue, outcome: "malformed")
            logger.notice("malformed \(provider.rawValue) webhook: \(reason)")
            return Response.error(.badRequest, code: "malformed_payload", reason)
        case .ignored(let reason):
            metrics.recordWebhook(provider: provider.rawValue, outcome: "ignored")
            logger.debug("\(provider.rawValue) webhook ignored: \(reason)")
            return Response.json(WebhookReply(provider: provider, outcome: "ignored", message: reason))
        case .push(let push):
            metrics.recordWebhook(provider: provider.rawValue, outcome: "triggered")
            logger.info(
                "\(provider.rawValue) webhook: push to \(push.ref); triggering a reconcile",
                metadata: push.revision.map { ["commit": "\($0)"] } ?? [:])
            await endpoint.trigger(.webhook(push))
            return Response.json(
                WebhookReply(
                    provider: provider, outcome: "triggered", ref: push.ref, revision: push.revision,
                    message: "push to \(push.ref) accepted; a reconcile is triggered"
                ),
                status: .accepted
            )
        }
    }
}
