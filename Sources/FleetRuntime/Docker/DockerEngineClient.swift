import AsyncHTTPClient
import FleetModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The Docker Engine HTTP API of one endpoint, over AsyncHTTPClient.
///
/// Every call either returns the engine's answer (any HTTP status: the caller decides what a 404 means) or
/// throws ``RuntimeError/Code-swift.enum/hostUnavailable`` when the engine could not be reached at all, so the
/// runtime can tell a host that is down from a request the engine refused.
///
/// Without TLS the process-wide `HTTPClient.shared` carries the requests (it needs no shut-down); with TLS
/// the client is this object's own and ``shutdown()`` must be called once it is no longer used.
public final class DockerEngineClient: Sendable {
    public let endpoint: DockerEndpoint
    let client: HTTPClient
    let ownsClient: Bool

    /// The TLS files for a `tcp://`/`https://` endpoint: the CA that signed the engine's certificate, and this
    /// client's certificate and key when the engine asks for one.
    public typealias TLSFiles = FleetModel.TLSFiles

    public init(endpoint: DockerEndpoint, tls: TLSFiles? = nil) throws {
        var endpoint = endpoint
        if let tls, !tls.isEmpty, case .tcp = endpoint.kind { endpoint.useTLS = true }
        self.endpoint = endpoint
        if endpoint.useTLS {
            var configuration = TLSConfiguration.makeClientConfiguration()
            do {
                if let caFile = tls?.caFile {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
                }
                if let certificateFile = tls?.certificateFile {
                    configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map {
                        .certificate($0)
                    }
                }
                if let keyFile = tls?.keyFile {
                    configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
                }
            } catch {
                throw RuntimeError(
                    .invalidLaunch, "the Docker TLS files for \(endpoint) cannot be read (CA, certificate or key)",
                    cause: error)
            }
            var client = HTTPClient.Configuration(tlsConfiguration: configuration, redirectConfiguration: .disallow)
            client.timeout = .init(connect: .seconds(5))
            self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: client)
            self.ownsClient = true
        } else {
            self.client = HTTPClient.shared
            self.ownsClient = false
        }
    }

    /// Releases this client's connections; a no-op for clients on the shared HTTP client.
    public func shutdown() async throws {
        if ownsClient { try await client.shutdown() }
    }

    /// One answer from the engine.
    struct Answer: Sendable {
        var status: Int
        var body: Data

        var isSuccess: Bool { (200..<300).contains(status) }

        /// The engine's own words for a refusal (`{"message": ...}`), else the start of the body.
        var message: String {
            if let decoded = try? JSONDecoder().decode(DockerWire.ErrorMessage.self, from: body),
                let text = decoded.message ?? decoded.error ?? decoded.cause
            {
                return text
            }
            return String(decoding: body.prefix(500), as: UTF8.self)
        }
    }

    /// Sends one request to `/v1.41<path>`; `query` is appended percent-encoded, `headers` are added as given.
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
        json: (some Encodable)? = Optional<
            DockerWire.Empty
        >.none, headers: [(String, String)] = [], timeout: Duration = .seconds(30), limit: Int = 64 << 20
    ) async throws -> Answer {
        var request = try request(method, path, query: query)
        request.headers.add(contentsOf: headers)
        if let json {
            let data: Data
            do {
                data = try JSONEncoder().encode(json)
            } catch {
                throw RuntimeError(.invalidLaunch, "the request \(method) \(path) cannot be encoded", cause: error)
            }
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        do {
            let response = try await client.execute(request, timeout: TimeAmount(timeout))
            let body = try await response.body.collect(upTo: limit)
            return Answer(status: Int(response.status.code), body: Data(body.readableBytesView))
        } catch {
            throw RuntimeError(
                .hostUnavailable, "docker host \(endpoint) did not answer \(method) \(path): \(error)", cause: error)
        }
    }

    /// The request for `/v1.41<path>` with `query` appended percent-encoded, addressed to this endpoint.
    func request(_ method: HTTPMethod, _ path: String, query: [(String, String)]) throws -> HTTPClientRequest {
        var components = URLComponents()
        components.path = "/\(DockerWire.apiVersion)\(path)"
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        // `+` is legal in a query but means a space to the engine's parser; names never contain one otherwise.
        let uri =
            (components.percentEncodedPath)
            + (components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? "")
        let url: String
        switch endpoint.kind {
        case .unixSocket(let socketPath):
            guard let socketURL = URL(httpURLWithSocketPath: socketPath, uri: uri) else {
                throw RuntimeError(.invalidLaunch, "the socket path of \(endpoint) cannot form a URL")
            }
            url = socketURL.absoluteString
        case .tcp(let host, let port):
            let shown = host.contains(":") ? "[\(host)]" : host
            url = "\(endpoint.useTLS ? "https" : "http")://\(shown):\(port)\(uri)"
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        // A unix socket URL names no host, and engines written in Go refuse HTTP/1.1 requests without one.
        if endpoint.isLocal { request.headers.add(name: "Host", value: "localhost") }
        return request
    }

    /// Whether the engine answers `GET /_ping` with `OK`; throws when it cannot be reached.
    public func ping() async throws -> Bool {
        let answer = try await send(.GET, "/_ping", timeout: .seconds(5))
        return answer.isSuccess && String(decoding: answer.body, as: UTF8.self) == "OK"
    }

    /// Decodes a successful answer, or throws with the engine's message.
    func decode<T: Decodable>(_ type: T.Type, _ answer: Answer, _ what: String) throws -> T {
        guard answer.isSuccess else {
            throw RuntimeError(.io, "docker host \(endpoint) refused to \(what) (\(answer.status)): \(answer.message)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: answer.body)
        } catch {
            throw RuntimeError(.io, "docker host \(endpoint) gave an unreadable answer to \(what)", cause: error)
        }
    }
}
