import FleetController
import FleetServer
import Foundation
import NIOCore
import NIOFoundationCompat

extension ControllerClient {
    /// `GET /api/v1/services/{name}/instances/{id}/logs?tail=N`: an instance's output as the controller reads it.
    /// The 404s that say what is missing are answers, as the registry gives them; anything else is a failure.
    func logs(service: String, instance: String, tail: Int) async throws -> InstanceLogs.Answer {
        let url =
            "\(base)/api/v1/services/\(Self.segment(service))/instances/\(Self.segment(instance))/logs?tail=\(tail)"
        let (status, body) = try await send(.GET, url)
        if status.code == 200 { return .output(String(buffer: body)) }
        switch (status.code, try? JSONDecoder().decode(ErrorDocument.self, from: Data(buffer: body)).error) {
        case (404, "service_not_found"?): return .serviceNotFound
        case (404, "instance_not_found"?): return .instanceNotFound
        case (404, "logs_not_kept"?): return .noOutput
        default:
            let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(url: url, message: "the controller answered \(status.code): \(text.prefix(300))")
        }
    }

    /// `GET /api/v1/services/{name}`: the ids of the service's instances, oldest first; nil for a service the
    /// controller does not know.
    func instanceIDs(service: String) async throws -> [String]? {
        let url = "\(base)/api/v1/services/\(Self.segment(service))"
        let (status, body) = try await send(.GET, url)
        if status.code == 404 { return nil }
        guard status.code == 200 else {
            let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(url: url, message: "the controller answered \(status.code): \(text.prefix(300))")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let document = try? decoder.decode(ServiceDocument.self, from: Data(buffer: body)) else {
            throw Failure(
                url: url, message: "the answer is not a service document: \(String(buffer: body).prefix(300))")
        }
        return document.instances.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map(\.id)
    }

    /// A name as one path segment.
    static func segment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name
    }
}
