import FleetController
import FleetModel
import FleetServer
import Foundation
import NIOCore
import NIOFoundationCompat

extension ControllerClient {
    /// What the controller answered to a promote or an abort.
    enum GateAnswer: Sendable {
        case done(GateReply)
        /// `409 conflict`: the action does not apply now, with the controller's sentence.
        case refused(String)
        case unknownService
        case notLeader(leader: String?)
    }

    /// `POST /api/v1/services/{name}/promote|abort` with `{"reason": …}`. A `409 rollout_changed` (the rollout
    /// moved between the controller's read and write) is asked again a few times, as the answer invites; a
    /// standby's `503 not_leader` and a `409 conflict` are outcomes, not failures.
    func gate(_ action: GateAction, service: String, reason: String?) async throws -> GateAnswer {
        let name = service.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? service
        let url = "\(base)/api/v1/services/\(name)/\(action.rawValue)"
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
                guard let reply = try? decoder.decode(GateReply.self, from: data) else {
                    throw Failure(
                        url: url,
                        message: "the answer is not a \(action.rawValue) reply: \(String(buffer: answer).prefix(300))")
                }
                return .done(reply)
            case 404 where refusal?.error == "service_not_found":
                return .unknownService
            case 409 where refusal?.error == "conflict":
                return .refused(refusal?.message ?? "the \(action.rawValue) does not apply now")
            case 409 where attempt < 3:
                attempt += 1
            case 503 where refusal?.error == "not_leader":
                return .notLeader(leader: refusal?.leader)
            default:
                throw failure(url, status, answer)
            }
        }
    }
}
