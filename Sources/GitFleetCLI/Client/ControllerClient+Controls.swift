import FleetController
import FleetModel
import FleetRegistry
import FleetServer
import Foundation
import NIOCore
import NIOFoundationCompat

extension ControllerClient {
    /// `POST /api/v1/services/{name}/{suspend|resume|rollback}` with the reason: the controller applies the control,
    /// records it under the token's name, and answers what it did. A `409 rollout_changed` (the rollout changed
    /// between the controller's read and write) is asked again a few times; a `409 conflict` (the action does not
    /// apply now) and a standby's `503 not_leader` are outcomes, not failures.
    /// Without `service`, `POST /api/v1/suspend` or `POST /api/v1/resume`: the whole fleet.
    func control(_ action: ServiceControl.Action, service: String?, reason: String?) async throws
        -> ActionAnswer<ActionReply>
    {
        try await act(service.map { "services/\(Self.segment($0))/" } ?? "", action.rawValue, reason: reason)
    }

    /// `POST /api/v1/{path}{action}` with `{"reason": …}`, answered by a `Reply`. A `409 rollout_changed` (the rollout
    /// changed between the controller's read and write) is asked again a few times, as the answer invites; a
    /// `409 conflict` (the action does not apply now), an unknown service and a standby's `503 not_leader` are
    /// outcomes, not failures.
    func act<Reply: Decodable>(_ path: String, _ action: String, reason: String?) async throws -> ActionAnswer<Reply> {
        let url = "\(base)/api/v1/\(path)\(action)"
        let body = try JSONEncoder().encode(ActionRequest(reason: reason))
        var attempt = 1
        while true {
            let (status, answer) = try await send(.POST, url, json: body)
            let data = Data(buffer: answer)
            // Every error answer is an error document; a standby's adds the leader.
            let refusal = try? JSONDecoder().decode(NotLeaderDocument.self, from: data)
            switch status.code {
            case 200:
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .iso8601
                guard let reply = try? decoder.decode(Reply.self, from: data) else {
                    throw Failure(
                        url: url, message: "the answer is not a \(action) reply: \(String(buffer: answer).prefix(300))")
                }
                return .done(reply)
            case 404 where refusal?.error == "service_not_found":
                return .unknownService
            case 409 where refusal?.error == "conflict":
                return .refused(refusal?.message ?? "the \(action) does not apply now")
            case 409 where attempt < 3:
                attempt += 1
            case 503 where refusal?.error == "not_leader":
                return .notLeader(leader: refusal?.leader)
            default:
                throw failure(url, status, answer)
            }
        }
    }

    /// What the controller answered an action (a control, a promote or an abort).
    enum ActionAnswer<Reply> {
        case done(Reply)
        /// `409 conflict`: the action does not apply now, with the controller's sentence.
        case refused(String)
        case unknownService
        case notLeader(leader: String?)
    }
}
