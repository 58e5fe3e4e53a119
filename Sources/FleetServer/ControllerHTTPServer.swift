import FleetController
import Hummingbird
import Logging
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
/// - `POST /webhooks/{github,gitlab,gitea,generic}`: verified pushes to the tracked branch trigger a reconcile.
public struct ControllerHTTPServer: Service {
    public let configuration: ServerConfiguration
    private let application: Application<RouterResponder<BasicRequestContext>>
    private let port: ListeningPort

    /// Reads the webhook secrets and prepares the routes; nothing listens until `run()`.
    ///
    /// - Throws: `ServerError` when a configured secret file cannot be read or is empty, or the configuration is
    ///   invalid, so a misconfigured webhook fails the start instead of silently rejecting every delivery.
    public init(
        configuration: ServerConfiguration,
        endpoint: any ControllerEndpoint,
        metrics: FleetMetrics,
        logger: Logger = Logger(label: "gitfleet.http")
    ) throws {
        guard configuration.maxBodySize > 0 else {
            throw ServerError(.invalidConfiguration, "maxBodySize must be at least 1 byte")
        }
        guard (0...65535).contains(configuration.port) else {
            throw ServerError(.invalidConfiguration, "port \(configuration.port) is not between 0 and 65535")
        }
        var secrets: [WebhookProvider: WebhookSecret] = [:]
        for (provider, path) in configuration.webhookSecretFiles {
            secrets[provider] = try WebhookSecret.load(from: path, for: provider)
        }
        let routes = ControllerRoutes(
            endpoint: endpoint, metrics: metrics, secrets: secrets, maxBodySize: configuration.maxBodySize,
            eventKeepAlive: configuration.eventKeepAlive
        )
        let router = Router(context: BasicRequestContext.self)
        routes.install(on: router)

        let port = ListeningPort()
        self.configuration = configuration
        self.port = port
        self.application = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "gitfleet"
            ),
            onServerRunning: { channel in
                if let bound = channel.localAddress?.port {
                    port.bind(bound)
                }
            },
            logger: logger
        )
    }

    /// Serves until the task is cancelled or graceful shutdown is triggered.
    public func run() async throws {
        do {
            try await application.run()
        } catch {
            port.stop(ServerError(.notListening, "the HTTP server stopped before listening", underlying: error))
            throw error
        }
        port.stop(ServerError(.notListening, "the HTTP server stopped before listening"))
    }

    /// The port the server listens on, waiting until it is bound (useful with port 0).
    ///
    /// - Throws: `ServerError` with code `notListening` when `run()` ended before the server bound, e.g. because
    ///   the port is taken.
    public func listeningPort() async throws -> Int {
        try await port.wait()
    }

    /// The bound port, or `nil` before the server listens.
    public var boundPort: Int? { port.current }
}
