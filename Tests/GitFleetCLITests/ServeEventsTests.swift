import FleetController
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet serve tells what it does as events", .serialized)
struct ServeEventsTests {
    /// The decoded events of a capture, checking each frame's `id:` and `event:` against its data.
    static func decode(_ capture: EventStreamCapture) throws -> [FleetEvent] {
        try capture.events.map { frame in
            let event = try FleetEvent.decoder().decode(FleetEvent.self, from: Data(frame.data.utf8))
            #expect(frame.id == "\(event.id)" && frame.event == event.type.rawValue, "\(frame)")
            return event
        }
    }

    static func converged(_ commit: String) -> @Sendable (EventStreamCapture) -> Bool {
        { capture in capture.events.contains { $0.event == "rollout-converged" && $0.data.contains(commit) } }
    }

    static func index(_ events: [FleetEvent], _ type: FleetEvent.Kind, commit: String) -> Int? {
        events.firstIndex { $0.type == type && $0.commit == commit }
    }

    @Test(
        "GET /api/v1/events streams a real rollout in order, and a reconnect with Last-Event-ID resumes with no event lost or repeated"
    )
    func streamsAndResumes() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let url = "http://127.0.0.1:\(try await serve.port())/api/v1/events"
            // since=0: everything this controller still keeps, then live.
            let first = try await EventStreamClient.read(
                url: url + "?since=0", timeout: .seconds(90), until: Self.converged(v1))
            #expect(first.status == 200, "\(serve.log)")
            let before = try Self.decode(first)
            let admitted = try #require(
                Self.index(before, .commitAdmitted, commit: v1), "\(before.map(\.type))\n\(serve.log)")
            let started = try #require(Self.index(before, .rolloutStarted, commit: v1), "\(before.map(\.type))")
            let converged = try #require(Self.index(before, .rolloutConverged, commit: v1), "\(before.map(\.type))")
            #expect(admitted < started && started < converged)
            let created = before.indices.filter { before[$0].type == .instanceCreated && before[$0].service == "web" }
            let serving = before.indices.filter { before[$0].type == .instanceServing && before[$0].service == "web" }
            #expect(created.count == 2 && serving.count == 2, "\(before.map(\.type))")
            #expect(created.allSatisfy { started < $0 } && serving.allSatisfy { $0 < converged })
            for index in created {
                #expect(serving.contains { $0 > index && before[$0].instance == before[index].instance })
            }
            #expect(before.contains { $0.type == .discoveryPublished }, "the serving set reaches /api/v1/discovery")

            // Disconnected while the next rollout happens: its events wait in the ring.
            let lastSeen = try #require(before.last?.id)
            let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 2)
            try fleet.push()
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            var missed: [FleetEvent] = []
            while ContinuousClock.now < deadline {
                missed = try await serve.events(since: lastSeen)
                if missed.contains(where: { $0.type == .instanceCreated && $0.commit == v2 }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(missed.contains { $0.type == .instanceCreated && $0.commit == v2 }, "\(serve.log)")

            let second = try await EventStreamClient.read(
                url: url, headers: ["Last-Event-ID": "\(lastSeen)"], timeout: .seconds(90), until: Self.converged(v2))
            let after = try Self.decode(second)
            let ids = before.map(\.id) + after.map(\.id)
            #expect(after.first?.id == lastSeen + 1, "the replay starts right after the last event seen")
            #expect(
                ids == Array(ids.first!...ids.last!), "every id once, in order, across the reconnect: \(ids)")
            let admitted2 = try #require(Self.index(after, .commitAdmitted, commit: v2), "\(after.map(\.type))")
            let started2 = try #require(Self.index(after, .rolloutStarted, commit: v2))
            let converged2 = try #require(Self.index(after, .rolloutConverged, commit: v2))
            #expect(admitted2 < started2 && started2 < converged2)
            let destroyed = Set(after.filter { $0.type == .instanceDestroyed }.compactMap(\.instance))
            let firstInstances = Set(before.filter { $0.type == .instanceCreated }.compactMap(\.instance))
            #expect(destroyed == firstInstances, "the v1 instances were drained and destroyed")

            let metrics = try await serve.request("GET", "/metrics")
            #expect(metrics.body.contains("gitfleet_events_total{type=\"rollout-converged\"} 2"), "\(metrics.body)")
            #expect(serve.log.contains("event=rollout-converged"), "each event is a log line with its metadata")
        }
    }
}

extension ServeProcess {
    /// `GET /api/v1/events` decoded: the events the controller keeps, after `since` when given.
    func events(since: UInt64? = nil) async throws -> [FleetEvent] {
        let (status, body) = try await request("GET", "/api/v1/events" + (since.map { "?since=\($0)" } ?? ""))
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        else { throw FixtureError("events answered \(status): \(body)") }
        let events = try JSONSerialization.data(withJSONObject: object["events"] ?? [])
        return try FleetEvent.decoder().decode([FleetEvent].self, from: events)
    }
}
