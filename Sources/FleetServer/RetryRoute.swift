import FleetController
import FleetRegistry
import Hummingbird
import Logging

extension ControllerRoutes {
    /// `POST /api/v1/services/{name}/retry`: the leader forgets the service's failed specs (a compare-and-swap
    /// in the registry), tells it as a `rollout-retried` event naming `caller` (the API token's name, or
    /// `anonymous`) and starts a pass. An action: with API tokens it needs one of scope `operate`.
    func retry(service: String, by caller: String, logger base: Logger) async -> Response {
        var logger = base
        logger[metadataKey: "service"] = "\(service)"
        let outcome: RolloutRetry.Outcome?
        do {
            outcome = try await endpoint.retry(service: service, by: caller)
        } catch let error as RegistryError where error.code == .conflict {
            logger.notice("retry refused: the rollout changed while it was asked: \(error)")
            return Response.error(
                .conflict, code: "rollout_changed",
                "the rollout of '\(service)' changed while the retry was written; ask again")
        } catch {
            logger.warning("retry failed: \(error)")
            return Response.error(
                .serviceUnavailable, code: "registry_unavailable", "the registry cannot be written: \(error)")
        }
        switch outcome {
        case nil:
            return Response.error(.notFound, code: "retry_unavailable", "this server cannot act on a fleet")
        case .unknownService?:
            return Response.error(.notFound, code: "service_not_found", "the registry has no rollout of '\(service)'")
        case .notLeader(let leader)?:
            return Response.json(NotLeaderDocument(leader: leader), status: .serviceUnavailable)
        case .nothingFailed?:
            return Response.json(RetryReply(service: service, retried: []))
        case .retried(let specs)?:
            return Response.json(RetryReply(service: service, retried: specs))
        }
    }
}
