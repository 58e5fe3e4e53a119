import FleetController
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /api/v1/events`: the event ring as JSON, or a live stream of Server-Sent Events.
///
/// JSON (the default): `?since=ID` answers the events after that id (the first `limit` of them), without it
/// the newest `limit`. A stream (`Accept: text/event-stream` or `?stream=true`) first replays the ring after
/// `Last-Event-ID` (or `since`), then sends each event as it happens (`id:`, `event:` type, `data:` JSON),
/// with a comment line every keep-alive interval while nothing happens. It ends when the controller shuts down.
struct EventsRoute: Sendable {
    let keepAlive: Duration

    func answer(_ request: Request, log: EventLog?) async -> Response {
        guard let log else {
            return Response.error(.notFound, code: "events_disabled", "this controller keeps no event log")
        }
        let query = request.uri.queryParameters
        var since: UInt64? = nil
        if let text = request.headers[.lastEventID] ?? query.get("since") {
            guard let id = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                return Response.error(
                    .badRequest, code: "bad_since",
                    "'\(text)' is not an event id (Last-Event-ID or since must be a whole number, as in an event's id)")
            }
            since = id
        }
        var limit: Int? = nil
        if let text = query.get("limit") {
            guard let number = Int(text), (1...log.capacity).contains(number) else {
                return Response.error(
                    .badRequest, code: "bad_limit", "limit '\(text)' is not a whole number from 1 to \(log.capacity)")
            }
            limit = number
        }
        let accept = request.headers[values: .accept].joined(separator: ",")
        if accept.contains("text/event-stream") || query.get("stream") == "true" {
            return stream(log, after: since)
        }
        let page = await log.events(after: since, limit: limit)
        let document = EventsDocument(events: page.events, lastId: page.lastID, truncated: page.truncated)
        let data = (try? FleetEvent.encoder().encode(document)) ?? Data("{}".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data + Data("\n".utf8))))
    }

    private enum Item: Sendable {
        case event(FleetEvent)
        case keepAlive
    }

    private func stream(_ log: EventLog, after: UInt64?) -> Response {
        let keepAlive = self.keepAlive
        let body = ResponseBody { writer in
            let subscription = await log.subscribe(after: after)
            // One sequence of what to write, fed by the subscription and the keep-alive clock, so only this
            // task writes to the connection. Bounded like the subscription: a client that reads slowly loses
            // the oldest items, and the gap in the ids makes the loop below fetch them from the ring.
            let (items, feed) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(log.subscriberBuffer))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in subscription { feed.yield(.event(event)) }
                    feed.finish()
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: keepAlive)
                        feed.yield(.keepAlive)
                    }
                }
                try await writer.write(ByteBuffer(string: ": gitfleet events\nretry: 2000\n\n"))
                var last = after
                for await item in items {
                    switch item {
                    case .keepAlive:
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    case .event(let event):
                        if let last, event.id <= last { continue }
                        var batch = [event]
                        if let last, event.id > last + 1 {
                            // This subscriber fell behind and lost events: fill the gap from the ring.
                            let page = await log.events(after: last)
                            batch = page.events.filter { $0.id < event.id } + [event]
                            if page.truncated {
                                try await writer.write(
                                    ByteBuffer(string: ": some events after \(last) are no longer kept\n\n"))
                            }
                        }
                        var text = ""
                        for event in batch { text += Self.frame(event) }
                        try await writer.write(ByteBuffer(string: text))
                        last = event.id
                    }
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
            body: body)
    }

    /// One event as Server-Sent Events: its id (for `Last-Event-ID`), its type, and its JSON on one line.
    static func frame(_ event: FleetEvent) -> String {
        "id: \(event.id)\nevent: \(event.type.rawValue)\ndata: \(event.json)\n\n"
    }
}

/// The answer of `GET /api/v1/events` as JSON.
struct EventsDocument: Encodable {
    var events: [FleetEvent]
    /// The newest event's id, also when `events` is empty: where a client resumes from.
    var lastId: UInt64?
    /// Whether events after `since` had already left the ring.
    var truncated: Bool
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}
