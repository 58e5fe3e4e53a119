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
        } catch {
            return Self.answer(writing: error, "retry", service: service, logger: logger)
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
