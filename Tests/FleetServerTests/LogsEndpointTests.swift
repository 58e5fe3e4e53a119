import FleetController
import FleetServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The logs route's side of `GET /api/v1/services/{name}/instances/{id}/logs`: the tail it asks for, and each
/// answer of the controller as the status and code docs/http-api.md lists. `LogsServerTests` runs it against a
/// real controller, registry and runtime.
@Suite struct LogsEndpointTests {
    @Test("the output is text; tail defaults to 200 and is checked; each answer has its documented status and code")
    func answers() async throws {
        try await RunningServer.with { server in
            let unavailable = try await server.get("/api/v1/services/web/instances/web-1/logs")
            #expect(unavailable.status == .notFound)
            #expect(try unavailable.decode(ErrorDocument.self).error == "logs_unavailable")

            await server.endpoint.setLogs([
                "web-1": .success(.output("one\ntwo\n")),
                "web-2": .success(.noOutput),
                "web-3": .failure(.init(source: .runtime, message: "docker host h1 does not answer")),
                "web-4": .failure(.init(source: .registry, message: "etcd is down")),
                "web-5": .success(.serviceNotFound),
            ])
            let output = try await server.get("/api/v1/services/web/instances/web-1/logs")
            #expect(output.status == .ok)
            #expect(output.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(output.text == "one\ntwo\n")
            _ = try await server.get("/api/v1/services/web/instances/web-1/logs?tail=10000")
            #expect(await server.endpoint.logTails == [200, 200, 10_000])

            for tail in ["0", "10001", "-3", "ten", ""] {
                let bad = try await server.get("/api/v1/services/web/instances/web-1/logs?tail=\(tail)")
                #expect(bad.status == .badRequest, "tail=\(tail)")
                #expect(try bad.decode(ErrorDocument.self).error == "bad_tail")
            }
            #expect(await server.endpoint.logTails.count == 3, "a bad tail never reaches the controller")

            let expected: [(String, HTTPResponse.Status, String)] = [
                ("web-2", .notFound, "logs_not_kept"), ("web-3", .serviceUnavailable, "runtime_unavailable"),
                ("web-4", .serviceUnavailable, "registry_unavailable"), ("web-5", .notFound, "service_not_found"),
                ("web-9", .notFound, "instance_not_found"),
            ]
            for (id, status, code) in expected {
                let answer = try await server.get("/api/v1/services/web/instances/\(id)/logs")
                #expect(answer.status == status, "\(id)")
                let error = try answer.decode(ErrorDocument.self)
                #expect(error.error == code, "\(id)")
                #expect(!error.message.isEmpty)
            }
        }
    }
}
