import FleetController
import Foundation
import Hummingbird
import Logging

extension ControllerRoutes {
    /// `POST /api/v1/agents/{name}`: keeps a discovery agent's report (an ``AgentReport``), on a leader or a
    /// standby alike, and answers 204. With API tokens it needs a token of scope `operate`, or of scope `agent`
    /// whose name is `{name}` (``APIAuthentication``).
    func receiveAgentReport(name: String, request: Request, logger: Logger) async -> Response {
        guard AgentReport.isValidName(name) else {
            return Response.error(
                .badRequest, code: "bad_agent_name",
                "'\(name.prefix(80))' is not an agent's name (letters, digits, '.', '_' and '-', at most 63, not "
                    + "starting with '.')")
        }
        let tooLarge = Response.error(
            .contentTooLarge, code: "body_too_large", "the body exceeds the limit of \(maxBodySize) bytes")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodySize { return tooLarge }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodySize)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            return tooLarge
        } catch {
            return Response.error(.badRequest, code: "body_unreadable", "The body could not be read to its end.")
        }
        let report: AgentReport
        do {
            report = try JSONDecoder().decode(AgentReport.self, from: Data(buffer: body))
        } catch let error as DecodingError {
            return Response.error(
                .badRequest, code: "bad_report", "The body is not an agent's report: \(error.sentence)")
        } catch {
            return Response.error(.badRequest, code: "bad_report", "The body is not an agent's report.")
        }
        guard await endpoint.receiveAgentReport(report, from: name) else {
            return Response.error(.notFound, code: "agents_unavailable", "this server keeps no discovery agents")
        }
        logger.trace("report of discovery agent \(name)", metadata: ["agent": "\(name)"])
        return Response(status: .noContent)
    }

    /// `GET /api/v1/agents`: every required agent and every agent heard of, with its state.
    func agents() async -> Response {
        guard let document = await endpoint.agents() else {
            return Response.error(.notFound, code: "agents_unavailable", "this server keeps no discovery agents")
        }
        return Response.json(document)
    }
}
