import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

extension EtcdRegistry {
    /// POSTs `body` to the gateway `path` and decodes the answer, trying the endpoints in order from the last
    /// one that answered, and authenticating (again) when etcd asks for a token.
    func call<Response: Decodable>(
        _ path: String, _ body: some Encodable, encoder: JSONEncoder = EtcdWire.encoder
    ) async throws -> Response {
        try checkOpen()
        let payload: Data
        do {
            payload = try encoder.encode(body)
        } catch {
            throw RegistryError(.invalid, "The request to etcd \(path) cannot be encoded.", underlying: error)
        }
        if configuration.credentials != nil, token == nil { try await authenticate() }
        var (status, data) = try await post(path, payload)
        if status == .unauthorized || (status != .ok && Self.gatewayError(data)?.code == 16),
            configuration.credentials != nil
        {
            // The token expired (etcd's simple tokens live five minutes): log in again once.
            try await authenticate()
            (status, data) = try await post(path, payload)
        }
        guard status == .ok else { throw Self.failure(path, status: status, data) }
        do {
            return try EtcdWire.decoder.decode(Response.self, from: data)
        } catch {
            throw RegistryError(.corrupt, "etcd's answer to \(path) cannot be read.", underlying: error)
        }
    }

    private func authenticate() async throws {
        guard let credentials = configuration.credentials else { return }
        let payload = try EtcdWire.encoder.encode(
            EtcdWire.AuthenticateRequest(name: credentials.username, password: credentials.password))
        token = nil
        let (status, data) = try await post("/v3/auth/authenticate", payload)
        guard status == .ok else { throw Self.failure("/v3/auth/authenticate", status: status, data) }
        guard let answer = try? EtcdWire.decoder.decode(EtcdWire.AuthenticateResponse.self, from: data),
            let token = answer.token, !token.isEmpty
        else {
            throw RegistryError(.corrupt, "etcd accepted the login of '\(credentials.username)' but sent no token.")
        }
        self.token = token
    }

    /// Sends one request, moving on to the next endpoint whenever one cannot be reached.
    private func post(_ path: String, _ payload: Data) async throws -> (HTTPResponseStatus, Data) {
        let endpoints = configuration.endpoints
        var failures: [String] = []
        var lastError: (any Error)?
        for attempt in 0..<endpoints.count {
            let index = (endpointIndex + attempt) % endpoints.count
            var endpoint = endpoints[index]
            while endpoint.hasSuffix("/") { endpoint.removeLast() }
            var request = HTTPClientRequest(url: endpoint + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let token { request.headers.add(name: "Authorization", value: token) }
            request.body = .bytes(ByteBuffer(bytes: payload))
            do {
                let response = try await client.execute(request, timeout: Self.timeAmount(configuration.requestTimeout))
                let body = try await response.body.collect(upTo: 64 << 20)
                endpointIndex = index
                return (response.status, Data(body.readableBytesView))
            } catch {
                failures.append("\(endpoint): \(error)")
                lastError = error
            }
        }
        throw RegistryError(
            .unavailable, "No etcd endpoint answered \(path): \(failures.joined(separator: "; ")).",
            underlying: lastError)
    }

    private static func failure(_ path: String, status: HTTPResponseStatus, _ data: Data) -> RegistryError {
        let answer = gatewayError(data)
        let message = answer?.message ?? answer?.error ?? String(decoding: data.prefix(500), as: UTF8.self)
        let text = "etcd refused \(path) with \(status.code): \(message)"
        // gRPC codes the gateway passes on: 3 invalid argument, 4 deadline, 14 unavailable, 16 unauthenticated.
        if message.contains("user name is empty") {
            return RegistryError(
                .unavailable, text + " (etcd has authentication on: set etcdUsername and etcdPasswordFile)")
        }
        switch answer?.code {
        case 3: return RegistryError(.invalid, text)
        case 4, 14: return RegistryError(.unavailable, text)
        case 7, 16: return RegistryError(.unavailable, text + " (check the etcd user name, password and role)")
        default: return RegistryError(status.code >= 500 ? .unavailable : .io, text)
        }
    }

    private static func gatewayError(_ data: Data) -> EtcdWire.ErrorResponse? {
        try? EtcdWire.decoder.decode(EtcdWire.ErrorResponse.self, from: data)
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The HTTP client settings: TLS from the configured files; redirects off, since etcd never redirects.
    static func clientConfiguration(_ configuration: EtcdConfiguration) throws -> HTTPClient.Configuration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let files = configuration.tls {
            do {
                if let caFile = files.caFile {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
                }
                if let certificateFile = files.certificateFile {
                    tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                }
                if let keyFile = files.keyFile {
                    tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
                }
            } catch {
                throw RegistryError(
                    .invalid, "The etcd TLS files cannot be read (CA, client certificate or key).", underlying: error)
            }
        }
        var client = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        client.timeout = .init(connect: timeAmount(configuration.connectTimeout))
        return client
    }
}
