import Foundation
import NIOConcurrencyHelpers

/// The two routes of a controller a discovery agent uses, answered from a script, over real loopback HTTP: `GET
/// /api/v1/discovery` answers the document set last (at once, whatever `index` and `wait` say: the agent must
/// cope with a controller that does not hold its long poll), and `POST /api/v1/agents/{name}` takes a report
/// (`204`, or the status set with ``answerReports(with:)``) and records it.
///
/// It can be stopped and started again on the same port, as a controller that dies and comes back: what an
/// agent's failover is tested against without the minutes a real controller's rollouts take.
public final class ScriptedDiscoveryController: Sendable {
    private struct State {
        var document = #"{"index":"\"0\"","services":{}}"#
        var reportStatus = 204
        var server: RecordingHTTPServer?
        /// Stopped: connections a client kept open from before are answered 503, as new ones are refused.
        var down = false
        /// The requests of servers stopped before, so a restart keeps the record.
        var earlier: [RecordingHTTPServer.Request] = []
    }

    private let state = NIOLockedValueBox(State())
    public let port: Int

    private init(port: Int) {
        self.port = port
    }

    /// A controller listening on a free loopback port.
    public static func start() async throws -> ScriptedDiscoveryController {
        let controller = ScriptedDiscoveryController(port: try EtcdServer.freePort())
        try await controller.start()
        return controller
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Listens again (after ``stop()``) on the same port.
    public func start() async throws {
        let state = self.state
        let server = try await RecordingHTTPServer.start(
            port: port,
            status: { request, _ in
                state.withLockedValue { $0.down ? 503 : request.method == "POST" ? $0.reportStatus : 200 }
            },
            body: { request in
                request.method == "POST" ? "" : state.withLockedValue(\.document)
            })
        state.withLockedValue { state in
            state.server = server
            state.down = false
        }
    }

    /// Stops listening: connections are refused until ``start()``.
    public func stop() async {
        let server = state.withLockedValue { state in
            defer {
                state.server = nil
                state.down = true
            }
            return state.server
        }
        guard let server else { return }
        await server.close()
        state.withLockedValue { $0.earlier += server.requests }
    }

    /// Serves `services` (the JSON object of `DiscoveryDocument.services`) with the entity tag `index` from now on,
    /// answering as `role` (`leader`, `standby`; nil: no role, as controllers before the field).
    public func serve(index: String, services: String, role: String? = nil) {
        let tag = "\"\(index)\""
        let document =
            #"{"index":"# + String(decoding: try! JSONEncoder().encode(tag), as: UTF8.self)
            + #","services":"# + services + (role.map { ",\"role\":\"\($0)\"" } ?? "") + "}"
        state.withLockedValue { $0.document = document }
    }

    /// Answers reports with `status` from now on (404: a controller without the agents API).
    public func answerReports(with status: Int) {
        state.withLockedValue { $0.reportStatus = status }
    }

    /// Every request so far, across restarts.
    public var requests: [RecordingHTTPServer.Request] {
        state.withLockedValue { $0.earlier + ($0.server?.requests ?? []) }
    }

    /// The reports received so far, oldest first.
    public var reports: [RecordingHTTPServer.Request] {
        requests.filter { $0.method == "POST" && $0.target.hasPrefix("/api/v1/agents/") }
    }
}
