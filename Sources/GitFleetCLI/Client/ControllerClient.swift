import AsyncHTTPClient
import FleetModel
import FleetPlanner
import FleetServer
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// The CLI's side of the controller's HTTP API (docs/http-api.md): what client-mode commands read
/// instead of the registry. The token, when there is one, goes only into the `Authorization` header;
/// it is never part of an error or a log line.
struct ControllerClient: Sendable {
    /// `http://host:port`, no trailing slash; what errors and the plan's live-source line name.
    var base: String
    var token: String?
    /// A CA (PEM) the controller's certificate must chain to, for a controller whose TLS a private CA signed;
    /// nil trusts the system's roots.
    var caFile: String? = nil
    /// The client requests go through when there is no `caFile`; nil: the process's shared one. The discovery
    /// agent passes its own, which fails a refused connection at once instead of retrying it until the request's
    /// deadline, so that it moves to the next controller replica without waiting out a long poll.
    var http: HTTPClient? = nil
    /// How a refused token is explained: which flag holds it and which scope the caller needs.
    var tokenWording = TokenWording.serverOptions

    /// The words of ``failure(_:_:_:)`` for a 401 or 403, per command family: the flag that gives the token and
    /// what a token must be to be accepted.
    struct TokenWording: Sendable {
        /// The flag that names the token file, e.g. `--server-token-file`.
        var flag: String
        /// What to give when the controller wants a token and none was sent (after "a file holding a token ").
        var needed: String
        /// Why a known token was refused (403), after "the token in FLAG ".
        var refused: String

        /// `--server` commands: `read`, or `operate` for actions.
        static let serverOptions = TokenWording(
            flag: "--server-token-file", needed: "of scope read (operate for actions such as retry)",
            refused: "may only read; this action needs a token of scope operate")
        /// `gitfleet agent`: scope `agent` under the agent's name.
        static let agent = TokenWording(
            flag: "--token-file", needed: "of scope agent named as the agent",
            refused: "may not do this: it needs scope agent and the agent's name (or scope operate)")
    }

    /// Why the controller could not be asked, said with the URL that was asked.
    struct Failure: Error, CustomStringConvertible {
        var url: String
        var message: String
        var description: String { "\(url): \(message)" }
    }

    /// How long one request may take when the caller sets no bound of its own.
    static let requestTimeout: Duration = .seconds(30)

    /// `GET /api/v1/live`, checked as strictly as a file.
    func live() async throws -> LiveStateDocument {
        let url = "\(base)/api/v1/live"
        let body = try await get(url)
        return try LiveStateFile.decodeDocument(body, file: url)
    }

    /// `GET /api/v1/status`: the fleet at a glance (`status --server` reads its freeze windows).
    func status() async throws -> StatusDocument {
        let url = "\(base)/api/v1/status"
        return try decode(StatusDocument.self, from: try await get(url), url: url, "a status document")
    }

    /// `GET /api/v1/commits/{rev}`: what the controller made of one commit. `timeout` bounds the request, so a
    /// caller with a deadline of its own (`wait --timeout`) is not held past it by a controller that hangs.
    func commit(_ revision: String, timeout: Duration = Self.requestTimeout) async throws -> CommitDocument {
        let url = "\(base)/api/v1/commits/\(revision)"
        return try decode(
            CommitDocument.self, from: try await get(url, timeout: timeout), url: url, "a commit document")
    }

    /// `GET /api/v1/history[?service=S]`: the deployments the controller's notes record, newest first.
    func history(service: String?) async throws -> [HistoryJSON.Entry] {
        var components = URLComponents(string: "\(base)/api/v1/history")
        if let service { components?.queryItems = [URLQueryItem(name: "service", value: service)] }
        let url = components?.string ?? "\(base)/api/v1/history"
        return try decode([HistoryJSON.Entry].self, from: try await get(url), url: url, "a deployment history")
    }

    private func decode<Document: Decodable>(_ type: Document.Type, from body: Data, url: String, _ what: String)
        throws -> Document
    {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: body)
        } catch {
            throw Failure(url: url, message: "the answer is not \(what) (\(error))")
        }
    }

    private func get(_ url: String, timeout: Duration = Self.requestTimeout) async throws -> Data {
        let (status, body) = try await send(.GET, url, timeout: timeout)
        guard status == .ok else { throw failure(url, status, body) }
        return Data(buffer: body)
    }

    /// An answer that is not the one asked for, said so that a person knows what to change: for a refused
    /// token, which flag and which scope.
    func failure(_ url: String, _ status: HTTPResponseStatus, _ body: ByteBuffer) -> Failure {
        switch status.code {
        case 401 where token == nil:
            return Failure(
                url: url,
                message: "the controller needs an API token: give \(tokenWording.flag) FILE, a file holding a token "
                    + tokenWording.needed)
        case 401:
            return Failure(
                url: url,
                message: "the controller does not accept the token in \(tokenWording.flag) (unknown, or rotated "
                    + "since): give a file holding a current token")
        case 403:
            return Failure(url: url, message: "the token in \(tokenWording.flag) \(tokenWording.refused)")
        default:
            let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
            return Failure(url: url, message: "the controller answered \(status.code): \(text.prefix(300))")
        }
    }

    /// One request with the token, whatever the answer's status; only a controller that cannot be reached fails.
    func send(
        _ method: HTTPMethod, _ url: String, json body: Data? = nil, timeout: Duration = Self.requestTimeout
    ) async throws -> (HTTPResponseStatus, ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let milliseconds = max(
            1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard let caFile else {
            do {
                let response = try await (http ?? HTTPClient.shared).execute(
                    request, timeout: .milliseconds(milliseconds))
                return (response.status, try await response.body.collect(upTo: 64 << 20))
            } catch {
                throw Failure(url: url, message: "the controller cannot be reached (\(error))")
            }
        }
        // A client of its own trusts the CA; the shared one keeps the system's roots for everyone else.
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caFile)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(milliseconds))
            let body = try await response.body.collect(upTo: 64 << 20)
            try? await client.shutdown()
            return (response.status, body)
        } catch {
            try? await client.shutdown()
            throw Failure(url: url, message: "the controller cannot be reached (\(error))")
        }
    }
}
