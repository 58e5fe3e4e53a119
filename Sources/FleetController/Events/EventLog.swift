import FleetModel
import Foundation
import Logging
import ServiceLifecycle

/// The one producer of ``FleetEvent``s: gives each its id and time, keeps a bounded ring of the recent ones,
/// writes it to the log and counts it, and hands it to every subscriber (the HTTP event stream).
///
/// Emitting never waits on a consumer: a subscriber has a bounded buffer that drops its oldest events when
/// the subscriber does not keep up, and the ids tell it what it missed, so it can fetch that from the ring
/// (``events(after:limit:)``) — the resumption a reconnecting client gets with `Last-Event-ID`.
///
/// Ids increase by one per event and start at the process's start time in milliseconds, so they keep
/// increasing across restarts of the controller: an id from before a restart is older than every id after it.
///
/// A `Service`: on graceful shutdown it ends every subscription, so long-lived streams close cleanly and the
/// HTTP server can finish. Place it after the HTTP server in the `ServiceGroup` (the group stops services in
/// reverse order, so the streams end before the server waits for its requests). Events emitted after
/// shutdown still reach the ring, the log and the metrics.
public actor EventLog: Service {
    /// A slice of the ring.
    public struct Page: Sendable, Hashable {
        /// Oldest first.
        public var events: [FleetEvent]
        /// Whether some events after the asked-for id are no longer kept: they left the ring (a client fell too
        /// far behind) or came from an earlier run of the controller.
        public var truncated: Bool
        /// The id of the newest event emitted so far, nil before the first.
        public var lastID: UInt64?
    }

    /// Events kept in the ring.
    public nonisolated let capacity: Int
    /// Events a subscriber may fall behind before it loses the oldest of them.
    public nonisolated let subscriberBuffer: Int
    let logger: Logger
    let metrics: FleetMetrics?

    private var ring: [FleetEvent] = []
    /// Where the oldest event is in `ring` once it is full.
    private var head = 0
    private var nextID: UInt64
    /// The newest id no longer kept: evicted from the ring, or from before this process (`firstID - 1`).
    private var forgotten: UInt64
    private var subscribers: [Int: AsyncStream<FleetEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    private var closed = false

    public init(
        capacity: Int = 1000, subscriberBuffer: Int = 256, firstID: UInt64? = nil,
        logger: Logger = Logger(label: "gitfleet.events"), metrics: FleetMetrics? = nil
    ) {
        self.capacity = max(1, capacity)
        self.subscriberBuffer = max(1, subscriberBuffer)
        let first = firstID ?? UInt64(max(1, Date().timeIntervalSince1970 * 1000))
        self.nextID = first
        self.forgotten = first - 1
        self.logger = logger
        self.metrics = metrics
        metrics?.register(.events)
    }

    /// Records the next event, of `type` with these parts, logs it, counts it and fans it out. Returns it.
    @discardableResult
    public func emit(
        _ type: FleetEvent.Kind, service: String? = nil, instance: String? = nil, commit: String? = nil,
        _ message: String, fields: [String: FleetEvent.Value] = [:]
    ) -> FleetEvent {
        let event = FleetEvent(
            id: nextID, time: Date(), type: type, service: service, instance: instance, commit: commit,
            message: message, fields: fields)
        nextID += 1
        if ring.count < capacity {
            ring.append(event)
        } else {
            forgotten = ring[head].id
            ring[head] = event
            head = (head + 1) % capacity
        }
        log(event)
        metrics?.recordEvent(type: event.type.rawValue)
        for (key, subscriber) in subscribers {
            if case .terminated = subscriber.yield(event) { subscribers[key] = nil }
        }
        return event
    }

    /// The ring oldest first: with `after`, the events that followed that id (the first `limit` of them);
    /// without, the newest `limit`.
    public func events(after: UInt64? = nil, limit: Int? = nil) -> Page {
        let ordered = Array(ring[head...] + ring[..<head])
        var events = after.map { id in ordered.filter { $0.id > id } } ?? ordered
        if let limit {
            events = after == nil ? Array(events.suffix(max(0, limit))) : Array(events.prefix(max(0, limit)))
        }
        let truncated = after.map { $0 < forgotten } ?? false
        return Page(events: events, truncated: truncated, lastID: ring.isEmpty ? nil : nextID - 1)
    }

    /// The events after `after` still in the ring (none when nil), then every new event as it is emitted,
    /// until the subscriber stops iterating or the log shuts down. A subscriber more than ``subscriberBuffer``
    /// events behind loses the oldest ones; it sees the gap in the ids and can fill it from the ring.
    public func subscribe(after: UInt64? = nil) -> AsyncStream<FleetEvent> {
        let backlog = after.map { events(after: $0).events } ?? []
        let (stream, continuation) = AsyncStream<FleetEvent>.makeStream(
            bufferingPolicy: .bufferingNewest(max(subscriberBuffer, backlog.count)))
        for event in backlog { continuation.yield(event) }
        if closed {
            continuation.finish()
        } else {
            subscribers[nextSubscriber] = continuation
            nextSubscriber += 1
        }
        return stream
    }

    /// Runs until graceful shutdown, then ends every subscription.
    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    /// Ends every subscription now and every later one at once.
    public func close() {
        closed = true
        for subscriber in subscribers.values { subscriber.finish() }
        subscribers = [:]
    }

    private func log(_ event: FleetEvent) {
        var metadata: Logger.Metadata = ["event": "\(event.type.rawValue)", "eventId": "\(event.id)"]
        if let service = event.service { metadata["service"] = "\(service)" }
        if let instance = event.instance { metadata["instance"] = "\(instance)" }
        if let commit = event.commit { metadata["commit"] = "\(commit)" }
        for (key, value) in event.fields where metadata[key] == nil { metadata[key] = "\(value)" }
        if event.type == .leadershipGained, case .text(let controller)? = event.fields["controller"] {
            metadata["leader"] = "\(controller)"
        }
        // A publication that ends a run of failures is news; the others follow every change of the set.
        let recovered = event.type == .discoveryPublished && event.fields["recovered"] == .flag(true)
        var level = recovered ? .notice : event.type.logLevel
        // A deployment's end is as grave as its result: what an operator reads first about a commit.
        if event.type == .deploymentFinished, case .text(let result)? = event.fields["result"] {
            level = DeploymentResult(rawValue: result).map(Self.logLevel(of:)) ?? level
        }
        logger.log(level: level, "\(event.message)", metadata: metadata)
    }

    /// How a deployment that ended with `result` is logged: a failure is an error, a rollback or a commit
    /// superseded before it settled a warning, a convergence info.
    static func logLevel(of result: DeploymentResult) -> Logger.Level {
        switch result {
        case .failed, .rejected: return .error
        case .rolledBack, .superseded: return .warning
        case .converged, .inProgress, .removed: return .info
        }
    }

}

extension FleetEvent.Kind {
    /// The log level of this kind of event: failures are errors; what needs a look (a rollback, drift, a lost
    /// lead) is a warning; an operator's action (a retry) is a notice; the fleet's ordinary course, what an
    /// operator reads (commits, rollouts, instance steps, leadership), is info; a publication of the serving set,
    /// which follows every change, is debug.
    public var logLevel: Logger.Level {
        switch self {
        case .commitRejected, .rolloutFailed, .discoveryFailing: return .error
        case .rolloutRolledBack, .instanceQuarantined, .driftFound, .leadershipLost, .rolloutSuperseded:
            return .warning
        // A load balancer that does not follow holds drains (when required) and may send clients to old instances.
        case .agentFailing: return .warning
        case .agentRecovered: return .notice
        case .commitAdmitted, .deploymentStarted, .deploymentFinished, .rolloutStarted, .rolloutStep, .rolloutConverged,
            .leadershipGained,
            .instanceCreated, .instanceServing, .instanceDraining, .instanceDestroyed:
            return .info
        case .discoveryPublished: return .debug
        // An operator changed the fleet's course by hand: worth reading in the log, not a problem.
        case .rolloutRetried, .serviceSuspended, .serviceResumed, .servicePinned, .rolloutPromoted, .rolloutAborted:
            return .notice
        // A pin released by a commit is the controller's own doing, on the fleet's ordinary course.
        case .serviceUnpinned: return .notice
        // A rollout waits for a person: they should see it.
        case .rolloutPaused: return .notice
        // The fleet's course changes by configured policy, not by a fault: an operator wants to see it.
        case .freezeWindowOpened, .freezeWindowClosed, .deploymentHeld: return .notice
        }
    }
}
