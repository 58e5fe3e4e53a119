import AsyncHTTPClient
import FleetModel
import Foundation
import NIOCore

extension DockerRuntime {
    /// Follows the `/events` stream of every host, filtered to containers with this scope's label, and reports
    /// the containers that die or are removed. A host whose stream breaks (it restarted, stopped answering)
    /// is reconnected with `since` set to the last event seen, so the engine replays what happened meanwhile.
    public func exits() -> AsyncStream<InstanceExit> {
        let (stream, continuation) = AsyncStream.makeStream(of: InstanceExit.self)
        let watcher = Task {
            await withTaskGroup(of: Void.self) { group in
                for host in hosts {
                    group.addTask { await follow(host, into: continuation) }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in watcher.cancel() }
        return stream
    }

    /// The engine's actions that mean a container stopped running or is gone (Docker's and Podman's words).
    static let exitActions: Set<String> = ["die", "died", "destroy", "remove", "oom"]

    /// Reads `host`'s events until cancelled, reconnecting after a pause when the stream ends or fails.
    func follow(_ host: DockerHost, into continuation: AsyncStream<InstanceExit>.Continuation) async {
        var since = Int(Date().timeIntervalSince1970)
        while !Task.isCancelled {
            do {
                try await readEvents(host, since: &since) { event in
                    guard let exit = instanceExit(from: event) else { return }
                    continuation.yield(exit)
                }
            } catch {
                // Not answering now: the inventory reports the host; look again shortly.
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// One connection to `host`'s event stream; `since` advances with every event read.
    func readEvents(_ host: DockerHost, since: inout Int, _ handle: (DockerWire.Event) -> Void) async throws {
        let filters = ["type": ["container"], "label": ["\(Label.scope)=\(options.scope)"]]
        let encoded = String(decoding: try JSONEncoder().encode(filters), as: UTF8.self)
        let request = try host.client.request(
            .GET, "/events", query: [("since", String(since)), ("filters", encoded)])
        let response = try await host.client.client.execute(request, timeout: .seconds(30))
        guard response.status.code == 200 else {
            throw RuntimeError(.io, "docker host \(host.endpoint) refused its event stream (\(response.status.code))")
        }
        var pending = Data()
        for try await chunk in response.body {
            pending.append(contentsOf: chunk.readableBytesView)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                guard let event = try? JSONDecoder().decode(DockerWire.Event.self, from: line) else { continue }
                if let time = event.time { since = max(since, Int(time)) }
                handle(event)
            }
        }
    }

    /// The exit an event reports, when it is one of this scope's containers stopping or going away.
    func instanceExit(from event: DockerWire.Event) -> InstanceExit? {
        let attributes = event.Actor?.Attributes ?? [:]
        guard event.Type == nil || event.Type == "container",
            let action = event.Action ?? event.status, Self.exitActions.contains(action),
            attributes[Label.scope] == options.scope, let instanceID = attributes[Label.instance]
        else { return nil }
        return InstanceExit(
            instanceID: instanceID, service: attributes[Label.service] ?? "",
            status: attributes["exitCode"].flatMap { Int32($0) }.map { Self.exitStatus(engineCode: $0) })
    }
}
