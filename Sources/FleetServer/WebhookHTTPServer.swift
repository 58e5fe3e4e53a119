import Logging
import ServiceLifecycle

/// The webhook listener (`webhookListen`): `POST /webhooks/{provider}` and `GET /healthz`, nothing else, so
/// it alone can be exposed to the forges while the API stays on a private address. Made by
/// `ControllerHTTPServer` when its configuration names a webhook address; a `Service` of its own in the
/// controller's `ServiceGroup`, stopping gracefully with it.
public struct WebhookHTTPServer: Service {
    let listener: HTTPListener

    /// Serves until the task is cancelled or graceful shutdown is triggered.
    public func run() async throws {
        try await listener.run()
    }

    /// The port the listener binds, waiting until it is bound (useful with port 0).
    public func listeningPort() async throws -> Int {
        try await listener.listeningPort()
    }
}
