import FleetController
import FleetModel
import FleetRegistry
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat

extension ControllerRoutes {
    /// `POST /api/v1/services/{name}/suspend`, `…/resume`, `…/rollback`: the leader applies the control (a
    /// compare-and-swap in the registry), records it — an event and a line in the note of the current commit,
    /// naming `caller` (the API token's name, or `anonymous`) and the body's reason — and starts a pass. Actions:
    /// with API tokens they need one of scope `operate`.
    /// Without `service` (`POST /api/v1/suspend`, `…/resume`), the whole fleet.
    func control(_ action: ServiceControl.Action, service: String?, request: Request, context: ControllerRequestContext)
        async -> Response
    {
        var logger = context.logger
        if let service { logger[metadataKey: "service"] = "\(service)" }
        let reason: String?
        switch await Self.reason(of: request) {
        case .success(let text): reason = text
        case .failure(let refusal): return refusal.response
        }
        let attribution = Attribution(by: context.caller, at: Date(), reason: reason)
        let outcome: ServiceControl.Outcome?
        do {
            if let service {
                outcome = try await endpoint.control(action, service: service, attribution: attribution)
            } else {
                outcome = try await endpoint.controlFleet(action, attribution: attribution)
            }
        } catch {
            return Self.unwritten(error, action: action.rawValue, service: service ?? "the fleet", logger: logger)
        }
        let subject = service ?? "the fleet"
        var reply = ActionReply(service: service, action: action.rawValue, attribution: attribution, message: "")
        switch outcome {
        case nil:
            return Response.error(.notFound, code: "controls_unavailable", "this server cannot act on a fleet")
        case .unknownService?:
            return Response.error(
                .notFound, code: "service_not_found", "the registry has no rollout of '\(subject)'")
        case .notLeader(let leader)?:
            return Response.json(NotLeaderDocument(leader: leader), status: .serviceUnavailable)
        case .refused(let why)?:
            return Response.error(.conflict, code: "conflict", why)
        case .suspended?:
            reply.message = "\(subject) is suspended: new specs wait until it is resumed; healing goes on"
        case .resumed(let lifted)?:
            reply.message = "\(subject) is resumed (suspended by \(lifted.by)): what Git asks for rolls out now"
        case .pinned(let pin)?:
            reply.message =
                "\(subject) rolls back to \(pin.specHash.short) (\(pin.spec.image)) and stays there until a commit "
                + "changes it"
            reply.specHash = pin.specHash
            reply.image = pin.spec.image.description
            reply.revision = pin.revision
        }
        return Response.json(reply)
    }

    /// The answer to an action the registry did not take: `409` `rollout_changed` when the rollout changed between
    /// the controller's read and its write (a lost compare-and-swap: ask again), else `503` `registry_unavailable`.
    static func unwritten(_ error: any Error, action: String, service: String, logger: Logger) -> Response {
        if let error = error as? RegistryError, error.code == .conflict {
            logger.notice("\(action) refused: the rollout changed while it was asked: \(error)")
            return Response.error(
                .conflict, code: "rollout_changed",
                "the rollout of '\(service)' changed while the \(action) was written; ask again")
        }
        logger.warning("\(action) failed: \(error)")
        return Response.error(
            .serviceUnavailable, code: "registry_unavailable", "the registry cannot be written: \(error)")
    }

    /// Why an action's body was refused: the error answer to give.
    struct BadActionBody: Error {
        var response: Response
    }

    /// The body's `reason`: none for an absent or empty body, or an empty or blank reason; `400` `bad_request` for
    /// a body that is not `{"reason": "…"}` or a reason longer than ``Attribution/maximumReasonLength``.
    static func reason(of request: Request) async -> Result<String?, BadActionBody> {
        func bad(_ message: String) -> Result<String?, BadActionBody> {
            .failure(BadActionBody(response: Response.error(.badRequest, code: "bad_request", message)))
        }
        let body: ByteBuffer
        do {
            // Four bytes a character at the most, and room for the JSON around it.
            body = try await request.body.collect(upTo: Attribution.maximumReasonLength * 4 + 1_024)
        } catch {
            return bad("the body is not a JSON object such as {\"reason\": \"…\"} of at most a few KiB")
        }
        let data = Data(buffer: body)
        guard !data.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
        else { return .success(nil) }
        let text: String?
        do {
            text = try JSONDecoder().decode(ActionRequest.self, from: data).reason
        } catch let error as DecodingError {
            return bad("the body is not {\"reason\": \"…\"}: \(error.sentence)")
        } catch {
            return bad("the body is not {\"reason\": \"…\"}: \(error)")
        }
        guard let reason = text?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else {
            return .success(nil)
        }
        guard reason.count <= Attribution.maximumReasonLength else {
            return bad(
                "the reason has \(reason.count) characters; at most \(Attribution.maximumReasonLength) are kept")
        }
        return .success(reason)
    }
}
