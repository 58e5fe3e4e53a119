import FleetController
import Foundation
import Testing

@Suite("The event log: ids, the ring, subscriptions and the JSON shape")
struct EventLogTests {
    static func log(capacity: Int = 100, subscriberBuffer: Int = 50, metrics: FleetMetrics? = nil) -> EventLog {
        EventLog(capacity: capacity, subscriberBuffer: subscriberBuffer, firstID: 1, metrics: metrics)
    }

    static func emit(_ log: EventLog, _ count: Int) async {
        for index in 0..<count {
            await log.emit(.instanceServing, service: "web", instance: "web-\(index)", "web: instance \(index) serves")
        }
    }

    @Test("ids increase by one per event, times never go back, and a new log starts above an older one's ids")
    func ids() async throws {
        let log = EventLog()
        var events: [FleetEvent] = []
        for _ in 0..<5 { events.append(await log.emit(.rolloutStarted, service: "web", "web: rollout started")) }
        for (previous, next) in zip(events, events.dropFirst()) {
            #expect(next.id == previous.id + 1)
            #expect(next.time >= previous.time)
        }
        try await Task.sleep(for: .milliseconds(20))
        let restarted = EventLog()
        let first = await restarted.emit(.leadershipGained, "leads")
        #expect(first.id > events.last!.id, "a restarted controller's ids must follow the old ones")
    }

    @Test("the ring keeps the newest events; since and limit page through it and say when some were lost")
    func ring() async throws {
        let log = Self.log(capacity: 5)
        await Self.emit(log, 8)
        let all = await log.events()
        #expect(all.events.map(\.id) == [4, 5, 6, 7, 8])
        #expect(all.lastID == 8)
        #expect(all.truncated == false)
        #expect(await log.events(limit: 2).events.map(\.id) == [7, 8])
        let after5 = await log.events(after: 5)
        #expect(after5.events.map(\.id) == [6, 7, 8])
        #expect(after5.truncated == false)
        #expect(await log.events(after: 3).truncated == false, "event 4 follows 3 and is still in the ring")
        let tooOld = await log.events(after: 1)
        #expect(tooOld.truncated, "events 2 and 3 left the ring")
        #expect(tooOld.events.map(\.id) == [4, 5, 6, 7, 8])
        #expect(await log.events(after: 4, limit: 2).events.map(\.id) == [5, 6])
        #expect(await log.events(after: 8).events.isEmpty)
    }

    @Test("a subscription replays what followed its id, then goes on live, with no event twice or missing")
    func resume() async throws {
        let log = Self.log()
        await Self.emit(log, 3)
        let stream = await log.subscribe(after: 1)
        await Self.emit(log, 2)
        var iterator = stream.makeAsyncIterator()
        var ids: [UInt64] = []
        for _ in 0..<4 {
            let next = await iterator.next()
            ids.append(try #require(next).id)
        }
        #expect(ids == [2, 3, 4, 5])
        let live = await log.subscribe()
        await Self.emit(log, 1)
        var liveIterator = live.makeAsyncIterator()
        let next = await liveIterator.next()
        #expect(next?.id == 6, "without an id a subscription starts with the next event")
    }

    @Test("a subscriber that does not read loses its oldest events and the producer never waits for it")
    func slowSubscriber() async throws {
        let log = Self.log(capacity: 100, subscriberBuffer: 3)
        let stream = await log.subscribe()
        await Self.emit(log, 10)
        var iterator = stream.makeAsyncIterator()
        var ids: [UInt64] = []
        for _ in 0..<3 {
            let next = await iterator.next()
            ids.append(try #require(next).id)
        }
        #expect(ids == [8, 9, 10], "the gap (1…7) tells the subscriber what to fetch from the ring")
        #expect(await log.events(after: 0, limit: 7).events.map(\.id) == Array(1...7))
    }

    @Test("closing ends every subscription, and a later one ends after its replay")
    func close() async throws {
        let log = Self.log()
        await Self.emit(log, 2)
        let stream = await log.subscribe()
        await log.close()
        var ended = true
        for await _ in stream { ended = false }
        #expect(ended)
        var replayed: [UInt64] = []
        for await event in await log.subscribe(after: 0) { replayed.append(event.id) }
        #expect(replayed == [1, 2])
        // Still recorded after shutdown, for the ring, the log and the metrics.
        #expect(await log.emit(.leadershipLost, "stands by").id == 3)
    }

    @Test("every event is counted by type in gitfleet_events_total")
    func metrics() async throws {
        let metrics = FleetMetrics()
        let log = Self.log(metrics: metrics)
        await Self.emit(log, 3)
        await log.emit(.driftFound, service: "web", "web: drift")
        #expect(metrics.value(of: .events, labels: ["type": "instance-serving"]) == 3)
        #expect(metrics.value(of: .events, labels: ["type": "drift-found"]) == 1)
        #expect(metrics.exposition().contains("gitfleet_events_total{type=\"drift-found\"} 1\n"))
    }

    @Test("the JSON shape: common fields, kebab-case type, type-specific fields at the top level, round trip")
    func json() throws {
        let event = FleetEvent(
            id: 42, time: Date(timeIntervalSince1970: 1_790_000_000.25), type: .rolloutStep, service: "web",
            commit: "8c1f0e2a", message: "web: canary step 2 of 3: weight 50%",
            fields: ["step": 2, "strategy": "canary", "rollback": false])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(event.json.utf8)) as? [String: Any])
        #expect(object["id"] as? Int == 42)
        #expect(object["type"] as? String == "rollout-step")
        #expect(object["time"] as? String == "2026-09-21T14:13:20.250Z")
        #expect(object["service"] as? String == "web")
        #expect(object["instance"] == nil)
        #expect(object["step"] as? Int == 2)
        #expect(object["strategy"] as? String == "canary")
        #expect(object["rollback"] as? Bool == false)
        let decoded = try FleetEvent.decoder().decode(FleetEvent.self, from: Data(event.json.utf8))
        #expect(decoded == event)
        #expect(
            FleetEvent.Kind.allCases.allSatisfy {
                $0.rawValue == $0.rawValue.lowercased() && !$0.rawValue.contains("_")
            })
    }

    @Test("docs/http-api.md documents exactly the event types the code has")
    func documented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/http-api.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let section = try #require(
            text.components(separatedBy: "### Event types").dropFirst().first?.components(separatedBy: "\n## ").first,
            "docs/http-api.md has no '### Event types' section")
        var documented: Set<String> = []
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            documented.insert(String(line.dropFirst(3).prefix { $0 != "`" }))
        }
        #expect(documented == Set(FleetEvent.Kind.allCases.map(\.rawValue)))
    }
}
