import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL

/// One bound address serving one router, over plain HTTP or TLS: the main listener and the webhook
/// listener are each one, run as one `Service` each.
struct HTTPListener: Sendable {
    private let application: Application<RouterResponder<ControllerRequestContext>>
    private let port: ListeningPort

    /// Reads the TLS files, if any; nothing listens until `run()`.
    ///
    /// - Throws: `ServerError` with code `tlsUnreadable` naming the file that is not a PEM certificate chain or
    ///   private key, so a broken certificate fails the start rather than every handshake.
    init(
        router: Router<ControllerRequestContext>, host: String, port number: Int, tls: TLSFiles?, logger: Logger
    ) throws {
        let port = ListeningPort()
        let server: HTTPServerBuilder
        if let tls {
            let chain: [NIOSSLCertificate]
            let key: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(tls.certificateFile)
            } catch {
                throw ServerError(
                    .tlsUnreadable, "the certificate file '\(tls.certificateFile)' is not a PEM certificate chain",
                    underlying: error)
            }
            do {
                key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
            } catch {
                throw ServerError(
                    .tlsUnreadable, "the key file '\(tls.keyFile)' is not a PEM private key", underlying: error)
            }
            guard !chain.isEmpty else {
                throw ServerError(.tlsUnreadable, "the certificate file '\(tls.certificateFile)' holds no certificate")
            }
            server = try .tls(
                .http1(),
                tlsConfiguration: .makeServerConfiguration(
                    certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
        } else {
            server = .http1()
        }
        self.port = port
        self.application = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(host, port: number), serverName: "gitfleet"),
            onServerRunning: { channel in
                if let bound = channel.localAddress?.port {
                    port.bind(bound)
                }
            },
            logger: logger
        )
    }

    func run() async throws {
        do {
            try await application.run()
        } catch {
            port.stop(ServerError(.notListening, "the HTTP server stopped before listening", underlying: error))
            throw error
        }
        port.stop(ServerError(.notListening, "the HTTP server stopped before listening"))
    }

    func listeningPort() async throws -> Int {
        try await port.wait()
    }

    var boundPort: Int? { port.current }
}
