import AsyncHTTPClient
import Foundation
import NIOCore

/// One Server-Sent Event as a client parses it.
public struct ServerSentEvent: Sendable, Hashable {
    public var id: String?
    public var event: String?
    public var data: String
}

/// What a client read from one Server-Sent Events connection.
public struct EventStreamCapture: Sendable {
    public var status: Int
    public var contentType: String
    public var events: [ServerSentEvent]
    /// Comment lines (without the leading colon), e.g. keep-alives.
    public var comments: [String]
    /// Whether the server ended the stream (rather than the client stopping to read).
    public var ended: Bool
}

/// A real HTTP client for `text/event-stream` responses, for tests: connects, parses events as they arrive,
/// and stops once `until` holds for what was read, the server ends the stream, or `timeout` passes.
public enum EventStreamClient {
    public static func read(
        url: String, headers: [String: String] = [:], timeout: Duration = .seconds(60),
        until: @escaping @Sendable (EventStreamCapture) -> Bool
    ) async throws -> EventStreamCapture {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let milliseconds = Int64(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(milliseconds))
        var capture = EventStreamCapture(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type") ?? "",
            events: [], comments: [], ended: false)
        if until(capture) { return capture }
        var pending = ""
        do {
            for try await buffer in response.body {
                pending += String(buffer: buffer)
                while let end = pending.range(of: "\n\n") {
                    let block = String(pending[..<end.lowerBound])
                    pending = String(pending[end.upperBound...])
                    parse(block, into: &capture)
                }
                if until(capture) { return capture }
            }
            capture.ended = true
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .cancelled {
            // Timed out: the caller judges what was read.
        }
        return capture
    }

    static func parse(_ block: String, into capture: inout EventStreamCapture) {
        var event = ServerSentEvent(id: nil, event: nil, data: "")
        var hasData = false
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                capture.comments.append(line.dropFirst().trimmingCharacters(in: .whitespaces))
                continue
            }
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let field = String(parts[0])
            var value = parts.count > 1 ? String(parts[1]) : ""
            if value.hasPrefix(" ") { value.removeFirst() }
            switch field {
            case "id": event.id = value
            case "event": event.event = value
            case "data":
                event.data += (hasData ? "\n" : "") + value
                hasData = true
            default: break
            }
        }
        if hasData { capture.events.append(event) }
    }
}
