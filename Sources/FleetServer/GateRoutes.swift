import FleetController
import FleetModel
import FleetRegistry
import Foundation
import Hummingbird
import Logging

extension ControllerRoutes {
    /// `POST /api/v1/services/{name}/promote` and `…/abort`: the leader moves the canary past its gate, or aborts
    /// the rollout (a compare-and-swap in the registry), tells it as an event naming `caller` and the body's
    /// `reason`, and starts a pass. Actions: with API tokens they need one of scope `operate`.
    func gate(
        _ action: GateAction, service: String, request: Request, by caller: String, logger base: Logger
    ) async -> Response {
        var logger = base
        logger[metadataKey: "service"] = "\(service)"
        let reason: String?
        switch await actionReason(request) {
        case .success(let text): reason = text
        case .failure(let refusal): return refusal.response
        }
        let outcome: RolloutGate.Outcome?
        do {
            outcome = try await endpoint.gate(action, service: service, by: caller, reason: reason)
        } catch {
            return Self.answer(writing: error, action.rawValue, service: service, logger: logger)
        }
        switch outcome {
        case nil where action == .promote:
            return Response.error(.notFound, code: "promote_unavailable", "this server cannot act on a fleet")
        case nil:
            return Response.error(.notFound, code: "abort_unavailable", "this server cannot act on a fleet")
        case .unknownService?:
            return Response.error(.notFound, code: "service_not_found", "the registry has no rollout of '\(service)'")
        case .notLeader(let leader)?:
            return Response.json(NotLeaderDocument(leader: leader), status: .serviceUnavailable)
        case .refused(let why)?:
            return Response.error(.conflict, code: "conflict", why)
        case .done(let state)?:
            return Response.json(GateReply(action, state: state, by: caller, reason: reason, at: Date()))
        }
    }

    /// The answer to an action whose registry write failed: `409 rollout_changed` when the rollout changed between
    /// the read and the compare-and-swap (ask again), else `503 registry_unavailable`.
    static func answer(writing error: any Error, _ action: String, service: String, logger: Logger) -> Response {
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

    /// The `reason` of an action's optional JSON body; a body that is not `{"reason": "…"}` of at most 1,000
    /// characters answers 400 `bad_request`.
    private func actionReason(_ request: Request) async -> Result<String?, ActionRefusal> {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodySize)
        } catch {
            return .failure(
                ActionRefusal(message: "the body could not be read to its end (at most \(maxBodySize) bytes)"))
        }
        guard body.readableBytes > 0 else { return .success(nil) }
        let parsed: ActionRequest
        do {
            parsed = try JSONDecoder().decode(ActionRequest.self, from: Data(buffer: body))
        } catch let error as DecodingError {
            return .failure(ActionRefusal(message: "the body is not {\"reason\": \"…\"}: \(error.sentence)"))
        } catch {
            return .failure(ActionRefusal(message: "the body is not {\"reason\": \"…\"}"))
        }
        guard let reason = parsed.reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else {
            return .success(nil)
        }
        guard reason.count <= ActionRequest.maximumReasonLength else {
            return .failure(
                ActionRefusal(
                    message: "reason: \(reason.count) characters, more than the \(ActionRequest.maximumReasonLength) "
                        + "allowed"))
        }
        return .success(reason)
    }
}

/// A 400 answer to an action's body.
struct ActionRefusal: Error {
    var message: String
    var response: Response { Response.error(.badRequest, code: "bad_request", message) }
}

/// What an operator does at a canary gate.
public enum GateAction: String, Sendable, Hashable, CaseIterable {
    /// Leave the gate for the next step.
    case promote
    /// Fail the rollout now and restore the last good spec.
    case abort
}

extension GateReply {
    /// The reply for a rollout state as the action left it.
    public init(_ action: GateAction, state: RolloutState, by: String, reason: String?, at: Date) {
        let message: String
        switch action {
        case .promote:
            message = "\(state.service) moves on to canary step \(state.step + 1)"
        case .abort:
            message =
                "the rollout of \(state.service) to \(state.targetSpecHash.short) is aborted; "
                + (state.lastGoodSpecHash.map { "\($0.short) is being restored" } ?? "nothing is left to restore")
        }
        self.init(
            service: state.service, action: action.rawValue, by: by, at: at, reason: reason, message: message,
            phase: state.servicePhase.rawValue, specHash: state.targetSpecHash.rawValue,
            step: action == .promote ? state.step + 1 : nil,
            restoring: action == .abort ? state.lastGoodSpecHash?.rawValue : nil)
    }
}
