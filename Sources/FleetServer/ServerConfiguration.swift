import FleetController

/// A listener's TLS certificate chain and private key, PEM files read at start.
public struct TLSFiles: Hashable, Sendable {
    public var certificateFile: String
    public var keyFile: String

    public init(certificateFile: String, keyFile: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// Both files, or nil when neither is set (the configuration refuses one without the other).
    public init?(certificate: String?, key: String?) {
        guard let certificate, let key else { return nil }
        self.init(certificateFile: certificate, keyFile: key)
    }
}

/// Where the HTTP server listens, who may call it and which webhooks it accepts.
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

    /// The main listener's TLS files; nil serves plain HTTP.
    public var tls: TLSFiles?
    /// The bearer tokens of the API; none leaves every route open (the caller is `anonymous`).
    public var apiTokens: [APIToken]
    /// A listener of its own for the webhooks (and `/healthz`); nil serves them on the main listener.
    public var webhookAddress: ListenAddress?
    /// The webhook listener's TLS files.
    public var webhookTLS: TLSFiles?

    /// 1 MiB: GitHub caps payloads at 25 MB, but a push of a normal size is a few kilobytes, and gitfleet reads
    /// only its `ref`.
    public static let defaultMaxBodySize = 1 << 20

    public init(
        host: String = "127.0.0.1", port: Int = 8080, webhookSecretFiles: [WebhookProvider: String] = [:],
        maxBodySize: Int = ServerConfiguration.defaultMaxBodySize, eventKeepAlive: Duration = .seconds(15),
        tls: TLSFiles? = nil, apiTokens: [APIToken] = [], webhookAddress: ListenAddress? = nil,
        webhookTLS: TLSFiles? = nil
    ) {
        self.tls = tls
        self.apiTokens = apiTokens
        self.webhookAddress = webhookAddress
        self.webhookTLS = webhookTLS
        self.host = host
        self.port = port
        self.webhookSecretFiles = webhookSecretFiles
        self.maxBodySize = maxBodySize
        self.eventKeepAlive = eventKeepAlive
    }
}
