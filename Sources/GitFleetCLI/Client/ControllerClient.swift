import AsyncHTTPClient
import FleetModel
import FleetPlanner
import FleetServer
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The CLI's side of the controller's HTTP API (docs/http-api.md): what client-mode commands read
/// instead of the registry. The token, when there is one, goes only into the `Authorization` header;
/// it is never part of an error or a log line.
struct ControllerClient: Sendable {
    /// `http://host:port`, no trailing slash; what errors and the plan's live-source line name.
    var base: String
    var token: String?

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
        guard status == .ok else {
            let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(url: url, message: "the controller answered \(status.code): \(text.prefix(300))")
        }
        return Data(buffer: body)
    }

    /// One request with the token, whatever the answer's status; only a controller that cannot be reached fails.
    func send(_ method: HTTPMethod, _ url: String, timeout: Duration = Self.requestTimeout) async throws -> (
        HTTPResponseStatus, ByteBuffer
    ) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        do {
            let response = try await HTTPClient.shared.execute(
                request,
                timeout: .milliseconds(
                    max(1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)))
            return (response.status, try await response.body.collect(upTo: 64 << 20))
        } catch {
            throw Failure(url: url, message: "the controller cannot be reached (\(error))")
        }
    }
}
