import AsyncHTTPClient
import Foundation
import NIOCore

/// One change etcd reported on a watched key.
public struct EtcdWatchEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case put, delete
    }

    public var kind: Kind
    public var key: String
    /// The new value of a put; nil for a delete.
    public var value: Data?
    /// The revision of the change (the key's `mod_revision`).
    public var revision: Int64
}

extension EtcdRegistry {
    /// The changes to `key` (or to every key under it, with `prefix`) from now on, in revision order, as
    /// etcd's `/v3/watch` streams them through the gateway: each element is one batch etcd sent. The stream
    /// ends when the connection does (etcd restarted, the endpoint went away) and throws when it cannot be
    /// opened; a watcher that must not miss a change re-reads and watches again from there.
    public nonisolated func watch(_ key: String, prefix: Bool = false) -> AsyncThrowingStream<
        [EtcdWatchEvent], any Error
    > {
        let (stream, continuation) = AsyncThrowingStream<[EtcdWatchEvent], any Error>.makeStream()
        let task = Task { [client, configuration] in
            do {
                try await Self.stream(
                    key, prefix: prefix, client: client, configuration: configuration, into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private static func stream(
        _ key: String, prefix: Bool, client: HTTPClient, configuration: EtcdConfiguration,
        into continuation: AsyncThrowingStream<[EtcdWatchEvent], any Error>.Continuation
    ) async throws {
        let create = EtcdWire.WatchRequest(
            createRequest: .init(
                key: EtcdWire.base64(key), rangeEnd: prefix ? EtcdWire.rangeEnd(ofPrefix: key) : nil))
        let payload = try EtcdWire.encoder.encode(create)
        var failures: [String] = []
        for endpoint in configuration.endpoints {
            var url = endpoint
            while url.hasSuffix("/") { url.removeLast() }
            var request = HTTPClientRequest(url: url + "/v3/watch")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: payload))
            let response: HTTPClientResponse
            do {
                // A watch lasts as long as its reader wants it; cancelling the task ends it.
                response = try await client.execute(request, timeout: .hours(24 * 365))
            } catch {
                failures.append("\(endpoint): \(error)")
                continue
            }
            guard response.status == .ok else {
                failures.append("\(endpoint): \(response.status)")
                continue
            }
            var buffer = Data()
            for try await chunk in response.body {
                buffer.append(contentsOf: chunk.readableBytesView)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[buffer.startIndex..<newline]
                    buffer.removeSubrange(buffer.startIndex...newline)
                    if let events = try decode(line), !events.isEmpty { continuation.yield(events) }
                }
            }
            if let events = try decode(buffer), !events.isEmpty { continuation.yield(events) }
            return
        }
        throw RegistryError(
            .unavailable, "No etcd endpoint accepted a watch of \(key): \(failures.joined(separator: "; ")).")
    }

    static func decode(_ line: Data) throws -> [EtcdWatchEvent]? {
        guard !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) else { return nil }
        let message: EtcdWire.WatchResponse
        do {
            message = try EtcdWire.decoder.decode(EtcdWire.WatchResponse.self, from: line)
        } catch {
            throw RegistryError(.corrupt, "etcd's watch stream sent something unreadable.", underlying: error)
        }
        if let error = message.error {
            throw RegistryError(.unavailable, "etcd ended the watch: \(error.message ?? "no reason given").")
        }
        return (message.result?.events ?? []).compactMap { event in
            guard let kv = event.kv, let key = kv.key.flatMap({ Data(base64Encoded: $0) }) else { return nil }
            return EtcdWatchEvent(
                kind: event.type == "DELETE" ? .delete : .put, key: String(decoding: key, as: UTF8.self),
                value: event.type == "DELETE" ? nil : kv.value.flatMap { Data(base64Encoded: $0) },
                revision: kv.modRevision?.value ?? 0)
        }
    }
}
