import FleetController
import Hummingbird
import Logging

extension ControllerRoutes {
    /// `GET /api/v1/services/{name}/instances/{id}/logs[?tail=N]`: the newest N lines of an instance's output as
    /// text (``InstanceLogs``). Readable by whoever reads the status: the output is the service's own.
    func instanceLogs(service: String, instance: String, request: Request, logger base: Logger) async -> Response {
        var tail = InstanceLogs.defaultTail
        if let text = request.uri.queryParameters.get("tail") {
            guard let parsed = Int(text), (1...InstanceLogs.maximumTail).contains(parsed) else {
                return Response.error(
                    .badRequest, code: "bad_tail",
                    "tail '\(text)' is not a whole number from 1 to \(InstanceLogs.maximumTail)")
            }
            tail = parsed
        }
        let answer: InstanceLogs.Answer?
        do {
            answer = try await endpoint.instanceLogs(service: service, instance: instance, tail: tail)
        } catch {
            var logger = base
            logger[metadataKey: "service"] = "\(service)"
            logger[metadataKey: "instance"] = "\(instance)"
            logger.warning("the logs of an instance could not be read: \(error)")
            switch error.source {
            case .registry: return Response.error(.serviceUnavailable, code: "registry_unavailable", "\(error)")
            case .runtime: return Response.error(.serviceUnavailable, code: "runtime_unavailable", "\(error)")
            }
        }
        switch answer {
        case nil:
            return Response.error(.notFound, code: "logs_unavailable", "this server reads no registry")
        case .serviceNotFound?:
            return Response.error(.notFound, code: "service_not_found", "the registry has no service '\(service)'")
        case .instanceNotFound?:
            return Response.error(
                .notFound, code: "instance_not_found", "service '\(service)' has no instance '\(instance)'")
        case .noOutput?:
            return Response.error(
                .notFound, code: "logs_not_kept",
                "instance '\(instance)' of '\(service)' was destroyed and its record keeps no output")
        case .output(let text)?:
            return Response.text(text)
        }
    }
}
