import FleetController
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The controller's HTTP side: health, readiness, metrics, the JSON API and push webhooks.
///
/// A `Service`: run it in the controller's `ServiceGroup` and it stops gracefully with the group (in-flight
/// requests finish, then the listener closes). It talks to the controller only through `ControllerEndpoint`.
///
/// Routes (docs/http-api.md has the details):
/// - `GET /healthz`: 200 while the process serves requests.
/// - `GET /readyz`: 200 or 503, with `Readiness` as JSON.
/// - `GET /metrics`: `FleetMetrics` in the Prometheus text format 0.0.4.
/// - `GET /api/v1/status`, `GET /api/v1/services/{name}`: `StatusDocument`, `ServiceDocument`.
/// - `GET /api/v1/events`: the recent `FleetEvent`s as JSON, or a live Server-Sent Events stream.
/// - `GET /`, `/services/{name}`, `/commits/{rev}`, `/events`: the web dashboard (`DashboardRoutes`).
/// - `POST /webhooks/{github,gitlab,gitea,generic}`: verified pushes to the tracked branch trigger a reconcile;
///   on the webhook listener instead when one is configured (`WebhookHTTPServer`).
///
/// With API tokens configured every route but health, readiness, metrics and webhooks needs one
/// (`APIAuthentication`).
public struct ControllerHTTPServer: Service {
    public let configuration: ServerConfiguration
    private let listener: HTTPListener
    /// The webhook listener, when `configuration.webhookAddress` is set: run it in the same `ServiceGroup`.
    public let webhookServer: WebhookHTTPServer?
    /// Every route registered, on the main listener and on the webhook listener, as `METHOD /path` with
    /// captures as `{name}`: the table docs/openapi.yaml must describe (`OpenAPIContractTests` compares them).
    public let routeTable: [String]

    /// Reads the webhook secrets, the API tokens and the TLS files and prepares the routes; nothing listens
    /// until `run()`.
    ///
    /// - Throws: `ServerError` when a configured secret, token or TLS file cannot be read or is empty, or the
    ///   configuration is invalid, so a misconfigured webhook fails the start instead of silently rejecting every
    ///   delivery.
    public init(
        configuration: ServerConfiguration,
        endpoint: any ControllerEndpoint,
        metrics: FleetMetrics,
        logger: Logger = Logger(label: "gitfleet.http")
    ) throws {
        guard configuration.maxBodySize > 0 else {
            throw ServerError(.invalidConfiguration, "maxBodySize must be at least 1 byte")
        }
        for port in [configuration.port] + (configuration.webhookAddress.map { [$0.port] } ?? [])
        where !(0...65535).contains(port) {
            throw ServerError(.invalidConfiguration, "port \(port) is not between 0 and 65535")
        }
        var secrets: [WebhookProvider: WebhookSecret] = [:]
        for (provider, path) in configuration.webhookSecretFiles {
            secrets[provider] = try WebhookSecret.load(from: path, for: provider)
        }
        let tokens =
            configuration.apiTokens.isEmpty
            ? nil : try APITokenStore(tokens: configuration.apiTokens, logger: logger)
        let routes = ControllerRoutes(
            endpoint: endpoint, metrics: metrics, secrets: secrets, maxBodySize: configuration.maxBodySize,
            eventKeepAlive: configuration.eventKeepAlive
        )
        let router = Router(context: ControllerRequestContext.self)
        router.add(middleware: NotFoundAnswer())
        router.add(middleware: APIAuthentication(store: tokens))
        routes.installAPI(on: router)
        let dashboardResponder = NIOLockedValueBox<RouterResponder<ControllerRequestContext>?>(nil)
        DashboardRoutes(
            endpoint: endpoint, tokens: tokens, secureCookies: configuration.tls != nil, router: dashboardResponder
        ).install(on: router)
        if let address = configuration.webhookAddress {
            let webhooks = Router(context: ControllerRequestContext.self)
            webhooks.add(middleware: NotFoundAnswer())
            routes.installHealth(on: webhooks)
            routes.installWebhooks(on: webhooks)
            self.routeTable = Self.table(router) + Self.table(webhooks)
            var webhookLogger = logger
            webhookLogger[metadataKey: "listener"] = "webhooks"
            webhookServer = WebhookHTTPServer(
                listener: try HTTPListener(
                    router: webhooks, host: address.host, port: address.port, tls: configuration.webhookTLS,
                    logger: webhookLogger))
        } else {
            routes.installWebhooks(on: router)
            self.routeTable = Self.table(router)
            webhookServer = nil
        }
        // The dashboard's actions go through the same routes (and middleware) as the API's.
        dashboardResponder.withLockedValue { $0 = router.buildResponder() }
        self.configuration = configuration
        self.listener = try HTTPListener(
            router: router, host: configuration.host, port: configuration.port, tls: configuration.tls, logger: logger)
    }

    private static func table(_ router: Router<ControllerRequestContext>) -> [String] {
        router.routes.map { "\($0.method) \($0.path)" }
    }

    /// Serves until the task is cancelled or graceful shutdown is triggered.
    public func run() async throws {
        try await listener.run()
    }

    /// The port the server listens on, waiting until it is bound (useful with port 0).
    ///
    /// - Throws: `ServerError` with code `notListening` when `run()` ended before the server bound, e.g. because
    ///   the port is taken.
    public func listeningPort() async throws -> Int {
        try await listener.listeningPort()
    }

    /// The bound port, or `nil` before the server listens.
    public var boundPort: Int? { listener.boundPort }
}
