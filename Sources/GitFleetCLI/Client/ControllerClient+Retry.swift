import FleetController
import FleetModel
import FleetServer
import Foundation
import NIOCore
import NIOFoundationCompat

extension ControllerClient {
    /// `POST /api/v1/services/{name}/retry`: the controller forgets the service's failed specs and
    /// starts the rollout again. A `409` (the rollout changed between the controller's read and write) is
    /// asked again a few times, as the answer invites; a standby's `503 not_leader` is an outcome, not a failure.
    func retry(service: String) async throws -> RolloutRetry.Outcome {
        let name = Self.segment(service)
        let url = "\(base)/api/v1/services/\(name)/retry"
        var attempt = 1
        while true {
            let (status, body) = try await send(.POST, url)
            let data = Data(buffer: body)
            // Every error answer is an error document; a standby's adds the leader.
            let refusal = try? JSONDecoder().decode(NotLeaderDocument.self, from: data)
            switch status.code {
            case 200:
                guard let reply = try? JSONDecoder().decode(RetryReply.self, from: data) else {
                    throw Failure(
                        url: url, message: "the answer is not a retry reply: \(String(buffer: body).prefix(300))")
                }
                return reply.retried.isEmpty ? .nothingFailed : .retried(reply.retried)
            case 404 where refusal?.error == "service_not_found":
                return .unknownService
            case 409 where attempt < 3:
                attempt += 1
            case 503 where refusal?.error == "not_leader":
                return .notLeader(leader: refusal?.leader)
            default:
                throw failure(url, status, body)
            }
        }
    }
}
