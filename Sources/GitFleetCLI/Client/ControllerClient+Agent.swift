import FleetController
import FleetModel
import FleetServer
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

extension ControllerClient {
    /// `GET /api/v1/discovery?index=…&wait=…`: the serving set once its entity tag differs from `index`, or nil
    /// when `wait` passed without a change (`304`). The request may take `wait` and then `slack` more.
    func discovery(changedFrom index: String?, wait: Duration, slack: Duration = .seconds(10)) async throws
        -> DiscoveryDocument?
    {
        var components = URLComponents(string: "\(base)/api/v1/discovery")
        var query = [URLQueryItem(name: "wait", value: wait.manifestDescription)]
        if let index { query.insert(URLQueryItem(name: "index", value: index), at: 0) }
        components?.queryItems = query
        let url = components?.string ?? "\(base)/api/v1/discovery"
        let (status, body) = try await send(.GET, url, timeout: wait + slack)
        switch status.code {
        case 304: return nil
        case 200:
            do {
                return try JSONDecoder().decode(DiscoveryDocument.self, from: Data(buffer: body))
            } catch {
                throw Failure(url: url, message: "the answer is not a discovery document (\(error))")
            }
        default: throw failure(url, status, body)
        }
    }

    /// `POST /api/v1/agents/{name}`: the agent's report. Answers the status and why when the controller refused
    /// it (a controller without the route answers 404), nil when it took it.
    func report(_ report: AgentReport, agent name: String, timeout: Duration) async throws -> (Int, Failure)? {
        let url = "\(base)/api/v1/agents/\(Self.segment(name))"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let (status, body) = try await send(.POST, url, json: try encoder.encode(report), timeout: timeout)
        guard !(200..<300).contains(Int(status.code)) else { return nil }
        return (Int(status.code), failure(url, status, body))
    }
}
