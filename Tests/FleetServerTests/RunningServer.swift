import FleetController
import FleetServer
import Foundation
import GitFleetTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// A `ControllerHTTPServer` listening on a free loopback port inside a real `ServiceGroup`, with a client that
/// talks real HTTP to it.
struct RunningServer {
    let port: Int
    let endpoint: RecordingEndpoint
    let metrics: FleetMetrics

    /// Starts a server whose webhook secrets (written to files with a trailing newline, as `echo` leaves them)
    /// are `secrets`, runs `body`, then shuts the group down gracefully and waits for it to end.
    static func with<T: Sendable>(
        secrets: [WebhookProvider: String] = [:],
        endpoint: RecordingEndpoint = RecordingEndpoint(),
        maxBodySize: Int = ServerConfiguration.defaultMaxBodySize,
        eventKeepAlive: Duration = .seconds(15),
        apiTokens: [(name: String, scope: APIToken.Scope, secret: String)] = [],
        _ body: @Sendable (RunningServer) async throws -> T
    ) async throws -> T {
        let directory = try TemporaryDirectory(prefix: "gitfleet-server")
        var files: [WebhookProvider: String] = [:]
        for (provider, secret) in secrets {
            let path = directory.appending("\(provider.rawValue).secret")
            try (secret + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            files[provider] = path
        }
        var tokens: [APIToken] = []
        for token in apiTokens {
            let path = directory.appending("token-\(token.name)")
            try (token.secret + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            tokens.append(APIToken(name: token.name, scope: token.scope, file: path))
        }
        let metrics = FleetMetrics()
        var logger = Logger(label: "gitfleet.http.test")
        logger.logLevel = .warning
        let server = try ControllerHTTPServer(
            configuration: ServerConfiguration(
                port: 0, webhookSecretFiles: files, maxBodySize: maxBodySize, eventKeepAlive: eventKeepAlive,
                apiTokens: tokens),
            endpoint: endpoint, metrics: metrics, logger: logger
        )
        // The event log after the server, as `gitfleet serve` runs them: its streams end first on shutdown.
        var services: [any Service] = [server]
        if let events = endpoint.events { services.append(events) }
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Result<T, any Error>
            do {
                let port = try await server.listeningPort()
                let running = RunningServer(port: port, endpoint: endpoint, metrics: metrics)
                result = .success(try await body(running))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            withExtendedLifetime(directory) {}
            return try result.get()
        }
    }

    /// One request on a fresh connection (the server may close a connection after an error).
    func request(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: [UInt8]? = nil
    ) async throws -> TestClient.Response {
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await client.execute(
                .init(
                    path, method: method, authority: "127.0.0.1:\(port)", headers: headers,
                    body: body.map { ByteBuffer(bytes: $0) }))
        }
    }

    func get(_ path: String) async throws -> TestClient.Response {
        try await request(.get, path)
    }
}

extension TestClient.Response {
    var text: String { body.map { String(buffer: $0) } ?? "" }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(text.utf8))
    }

    /// The top-level JSON object, to check field names exactly as clients see them.
    func jsonObject() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}
