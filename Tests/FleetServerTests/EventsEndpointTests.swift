import FleetController
import FleetServer
import Foundation
import GitFleetTesting
import Testing

@Suite("GET /api/v1/events: the ring as JSON and a live Server-Sent Events stream")
struct EventsEndpointTests {
    static func emit(_ log: EventLog, _ count: Int, service: String = "web") async {
        for index in 0..<count {
            await log.emit(
                .instanceServing, service: service, instance: "\(service)-\(index)", commit: "8c1f0e2a",
                "\(service): instance \(index) serves", fields: ["specHash": "5f3e"])
        }
    }

    @Test("JSON: every event in order, ?since= and ?limit= page through the ring, bad values are refused")
    func json() async throws {
        let log = EventLog(capacity: 10, firstID: 1)
        await Self.emit(log, 4)
        try await RunningServer.with(endpoint: RecordingEndpoint(events: log)) { server in
            let all = try await server.get("/api/v1/events")
            #expect(all.status == .ok)
            #expect(all.headers[.contentType]?.hasPrefix("application/json") == true)
            let object = try all.jsonObject()
            let events = try #require(object["events"] as? [[String: Any]])
            #expect(events.compactMap { $0["id"] as? Int } == [1, 2, 3, 4])
            #expect(object["lastId"] as? Int == 4)
            #expect(object["truncated"] as? Bool == false)
            let first = try #require(events.first)
            #expect(first["type"] as? String == "instance-serving")
            #expect(first["service"] as? String == "web")
            #expect(first["instance"] as? String == "web-0")
            #expect(first["commit"] as? String == "8c1f0e2a")
            #expect(first["specHash"] as? String == "5f3e")
            #expect((first["time"] as? String)?.hasSuffix("Z") == true)

            let since = try await server.get("/api/v1/events?since=2&limit=1").jsonObject()
            #expect((since["events"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [3])
            let newest = try await server.get("/api/v1/events?limit=2").jsonObject()
            #expect((newest["events"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [3, 4])

            let badSince = try await server.get("/api/v1/events?since=yesterday")
            #expect(badSince.status == .badRequest)
            #expect(try badSince.jsonObject()["error"] as? String == "bad_since")
            let badLimit = try await server.get("/api/v1/events?limit=0")
            #expect(badLimit.status == .badRequest)
            #expect(try badLimit.jsonObject()["error"] as? String == "bad_limit")
        }
    }

    @Test("a controller without an event log answers 404")
    func disabled() async throws {
        try await RunningServer.with { server in
            let response = try await server.get("/api/v1/events")
            #expect(response.status == .notFound)
            #expect(try response.jsonObject()["error"] as? String == "events_disabled")
        }
    }

    @Test("a stream replays after Last-Event-ID, then sends live events with id, type and data, and keep-alives")
    func stream() async throws {
        let log = EventLog(firstID: 1)
        await Self.emit(log, 3)
        try await RunningServer.with(endpoint: RecordingEndpoint(events: log), eventKeepAlive: .milliseconds(200)) {
            server in
            let url = "http://127.0.0.1:\(server.port)/api/v1/events"
            async let reading = EventStreamClient.read(
                url: url, headers: ["Last-Event-ID": "1"], timeout: .seconds(30)
            ) { capture in capture.events.count >= 4 && capture.comments.contains("keep-alive") }
            // Live events, after the replay began.
            try await Task.sleep(for: .milliseconds(300))
            await Self.emit(log, 2, service: "api")
            let capture = try await reading
            #expect(capture.status == 200)
            #expect(capture.contentType.hasPrefix("text/event-stream"))
            #expect(capture.events.map(\.id) == ["2", "3", "4", "5"], "\(capture.events)")
            #expect(capture.events.allSatisfy { $0.event == "instance-serving" })
            let data = try #require(capture.events.last?.data)
            let decoded = try FleetEvent.decoder().decode(FleetEvent.self, from: Data(data.utf8))
            #expect(decoded.id == 5 && decoded.service == "api" && decoded.type == .instanceServing)
            #expect(capture.comments.contains("keep-alive"))

            let viaQuery = try await EventStreamClient.read(url: url + "?stream=true&since=4", timeout: .seconds(30)) {
                $0.events.count >= 1
            }
            #expect(viaQuery.events.map(\.id) == ["5"])
        }
    }

    @Test(
        "a burst larger than a subscriber's buffer reaches a stream complete and in order, the gaps filled from the ring"
    )
    func burst() async throws {
        let log = EventLog(capacity: 1000, subscriberBuffer: 2, firstID: 1)
        try await RunningServer.with(endpoint: RecordingEndpoint(events: log)) { server in
            async let reading = EventStreamClient.read(
                url: "http://127.0.0.1:\(server.port)/api/v1/events?stream=true", timeout: .seconds(60)
            ) { $0.events.count >= 500 }
            try await Task.sleep(for: .milliseconds(300))
            await Self.emit(log, 500)
            let capture = try await reading
            #expect(capture.events.compactMap { $0.id.flatMap(UInt64.init) } == Array(1...500))
        }
    }

    @Test("a stream ends cleanly when the server shuts down gracefully")
    func endsOnShutdown() async throws {
        let log = EventLog(firstID: 1)
        let endpoint = RecordingEndpoint(events: log)
        let capture = try await RunningServer.with(endpoint: endpoint) { server in
            // The reader runs past the body: RunningServer shuts the group down when the body returns, so the
            // stream must end for it to finish.
            let reader = Task {
                try await EventStreamClient.read(
                    url: "http://127.0.0.1:\(server.port)/api/v1/events?stream=true", timeout: .seconds(60)
                ) { _ in false }
            }
            try await Task.sleep(for: .milliseconds(300))
            await Self.emit(log, 1)
            try await Task.sleep(for: .milliseconds(300))
            return reader
        }
        let started = ContinuousClock.now
        let result = try await capture.value
        #expect(result.ended, "the server ended the stream")
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(result.events.map(\.id) == ["1"])
    }
}
