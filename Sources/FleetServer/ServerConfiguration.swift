/// Where the HTTP server listens and which webhooks it accepts.
public struct ServerConfiguration: Hashable, Sendable {
    /// The address to bind. The default, loopback, keeps the API off the network until an operator opts in.
    public var host: String
    /// The TCP port; 0 picks a free one, readable after start from `ControllerHTTPServer.listeningPort()`.
    public var port: Int
    /// The file holding each provider's secret. A provider without one is disabled: its endpoint answers 404,
    /// so an unsigned request is never accepted.
    public var webhookSecretFiles: [WebhookProvider: String]
    /// The largest webhook body accepted, in bytes; a larger one is answered with 413 before it is read in full.
    public var maxBodySize: Int
    /// How often a live event stream with nothing to tell sends a comment, so proxies and clients keep the
    /// connection open and notice a dead one.
    public var eventKeepAlive: Duration

    /// 1 MiB: GitHub caps payloads at 25 MB, but a push of a normal size is a few kilobytes, and gitfleet reads
    /// only its `ref`.
    public static let defaultMaxBodySize = 1 << 20

    public init(
        host: String = "127.0.0.1", port: Int = 8080, webhookSecretFiles: [WebhookProvider: String] = [:],
        maxBodySize: Int = ServerConfiguration.defaultMaxBodySize, eventKeepAlive: Duration = .seconds(15)
    ) {
        self.host = host
        self.port = port
        self.webhookSecretFiles = webhookSecretFiles
        self.maxBodySize = maxBodySize
        self.eventKeepAlive = eventKeepAlive
    }
}
