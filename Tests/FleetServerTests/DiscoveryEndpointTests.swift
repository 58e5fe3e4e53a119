import FleetController
import FleetModel
import FleetServer
import Foundation
import HTTPTypes
import Testing

@Suite("GET /api/v1/discovery")
struct DiscoveryEndpointTests {
    static func record(_ id: String, port: Int, state: InstanceState = .serving) -> InstanceRecord {
        InstanceRecord(
            id: id, service: "web", specHash: SpecHash(rawValue: "5f3e9a1c"), image: "demo/web:1.0.0", state: state,
            address: "127.0.0.1", ports: ["http": port], createdAt: Date(timeIntervalSince1970: 1_790_000_000))
    }

    @Test("serves the published set with an ETag, answers 304 for a current index, and long-polls until it changes")
    func etagAndLongPoll() async throws {
        let publisher = DiscoveryPublisher(configuration: .init())
        _ = await publisher.publish(
            ServingSet(records: [
                Self.record("web-a", port: 41001), Self.record("web-b", port: 41002, state: .starting),
            ]))
        let endpoint = RecordingEndpoint()
        await endpoint.setPublisher(publisher)
        try await RunningServer.with(endpoint: endpoint) { server in
            let first = try await server.get("/api/v1/discovery")
            #expect(first.status == .ok)
            let etag = try #require(first.headers[.eTag])
            let document = try first.decode(DiscoveryDocument.self)
            #expect(document.index == etag)
            #expect(document.services["web"]?.map(\.instance) == ["web-a"], "only serving instances are published")
            #expect(document.services["web"]?.first?.ports["http"] == 41001)

            let unchanged = try await server.request(.get, "/api/v1/discovery", headers: [.ifNoneMatch: etag])
            #expect(unchanged.status == .notModified)
            #expect(unchanged.headers[.eTag] == etag)

            let query = etag.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? etag
            let timedOut = try await server.get("/api/v1/discovery?index=\(query)&wait=200ms")
            #expect(timedOut.status == .notModified)

            async let waited = server.get("/api/v1/discovery?index=\(query)&wait=30s")
            try await Task.sleep(for: .milliseconds(300))
            _ = await publisher.publish(
                ServingSet(records: [Self.record("web-a", port: 41001), Self.record("web-b", port: 41002)]))
            let changed = try await waited
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] != etag)
            #expect(try changed.decode(DiscoveryDocument.self).services["web"]?.map(\.instance) == ["web-a", "web-b"])

            let bad = try await server.get("/api/v1/discovery?wait=forever")
            #expect(bad.status == .badRequest)
        }
    }

    @Test("a controller without a publisher answers 404")
    func disabled() async throws {
        try await RunningServer.with { server in
            let response = try await server.get("/api/v1/discovery")
            #expect(response.status == .notFound)
        }
    }
}
