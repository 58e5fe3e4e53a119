import AsyncHTTPClient
import FleetRuntime
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// Tells the configured ``NotificationTarget``s about commits and rollouts, as the ``EventLog`` reports them.
///
/// A `Service` beside the reconcile loop, never in it: the event log hands events over without waiting, and each
/// target has a bounded queue of its own, so a slow or dead target delays neither the loop nor the other
/// targets. When a queue is full its oldest notification is dropped (and counted). A failed delivery is tried
/// again per ``NotificationRetry``; a target's answer of 4xx (other than 408 and 429) is final. Every delivery
/// and every failed try is counted in `gitfleet_notifications_total` and `gitfleet_notification_failures_total`,
/// and a target whose last delivery failed is a readiness reason (the controller stays ready: a notification
/// is news about the fleet, not the fleet).
///
/// Secrets are read from their files at each delivery (so a rotated token is picked up) and go only into the
/// request's headers or its signature; logs name the target by ``NotificationTarget/name``.
public final class Notifier: Service, Sendable {
    /// Sends one request; the answer's status code and (the start of) its body, or a thrown error when there was
    /// none.
    public typealias Transport = @Sendable (NotificationRequest) async throws -> (status: Int, body: [UInt8])

    public let targets: [NotificationTarget]
    let events: EventLog
    let retry: NotificationRetry
    let queueLength: Int
    /// Where the links in statuses and messages point; deliveries wait until it is known.
    let address: ControllerAddress
    let clock: any FleetClock
    let transport: Transport
    let metrics: FleetMetrics?
    let logger: Logger
    /// Per target name: why its last delivery failed, and how many deliveries failed in a row.
    private let failing = NIOLockedValueBox<[String: (reason: String, count: Int)]>([:])
    /// Per target name and commit: the GitHub deployment made for the commit, until its deployment finished.
    private let deployments = NIOLockedValueBox<[String: Int]>([:])

    public init(
        targets: [NotificationTarget], events: EventLog, address: ControllerAddress, retry: NotificationRetry = .init(),
        queueLength: Int = 100, clock: any FleetClock = SystemClock(), transport: Transport? = nil,
        metrics: FleetMetrics? = nil, logger: Logger = Logger(label: "gitfleet.notifications")
    ) {
        self.targets = targets
        self.events = events
        self.address = address
        self.retry = retry
        self.queueLength = max(1, queueLength)
        self.clock = clock
        self.transport = transport ?? Self.post
        self.metrics = metrics
        self.logger = logger
    }

    /// Readiness reasons: one per target whose last delivery failed.
    public func readinessProblems() -> [String] {
        failing.withLockedValue { failing in
            failing.sorted { $0.key < $1.key }.map { name, failure in
                "notifications: \(name) failing: \(failure.reason) (\(failure.count) notifications dropped in a row)"
            }
        }
    }

    /// Delivers until graceful shutdown; what is still queued then is dropped.
    public func run() async throws {
        guard !targets.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        // From the start of the ring: the notifier starts with the controller, so that is every event of this
        // run, including any a part emitted before this task got here.
        let stream = await events.subscribe(after: 0)
        let queues = targets.map { _ in
            AsyncStream<FleetEvent>.makeStream(bufferingPolicy: .bufferingNewest(queueLength))
        }
        // Shutdown cancels deliveries in flight and their retries too: a dead target must not hold the
        // controller's exit for the minutes its retries would take.
        await cancelWhenGracefulShutdown {
            // Until the HTTP server listens, the link's port may be unknown; events wait in the subscription.
            let statusURL = await self.address.statusURL()
            await withDiscardingTaskGroup { group in
                for (target, queue) in zip(self.targets, queues) {
                    group.addTask { await self.deliver(queue.stream, to: target, statusURL: statusURL) }
                }
                for await event in stream {
                    for (target, queue) in zip(self.targets, queues) where target.events.contains(event.type) {
                        if case .dropped = queue.continuation.yield(event) {
                            self.metrics?.increment(
                                .notifications, labels: ["target": target.name, "result": "overflow"])
                        }
                    }
                }
                for queue in queues { queue.continuation.finish() }
            }
        }
        // The event log closes before this service is asked to stop (it stops first in the group); returning
        // then would end the whole group at once instead of letting the reconciler reach its safe point.
        try? await gracefulShutdown()
    }

    private func deliver(_ queue: AsyncStream<FleetEvent>, to target: NotificationTarget, statusURL: String?) async {
        let logger = {
            var logger = self.logger
            logger[metadataKey: "target"] = "\(target.name)"
            return logger
        }()
        for await event in queue {
            var attempt = 1
            while !Task.isCancelled {
                let reason: String
                do {
                    guard try await deliverOnce(event, to: target, statusURL: statusURL) else { break }
                    metrics?.increment(.notifications, labels: ["target": target.name, "result": "delivered"])
                    failing.withLockedValue { $0[target.name] = nil }
                    logger.debug(
                        "notified \(target.name) of \(event.type.rawValue)", metadata: ["eventId": "\(event.id)"])
                    break
                } catch let failure as NotificationFailure {
                    reason = failure.message
                    metrics?.increment(.notificationFailures, labels: ["target": target.name])
                    if failure.final || retry.delay(after: attempt) == nil {
                        drop(event, target: target, reason: reason, attempt: attempt, logger: logger)
                        break
                    }
                } catch {
                    break
                }
                let delay = retry.delay(after: attempt) ?? .zero
                logger.info(
                    "notifying \(target.name) failed (try \(attempt) of \(retry.attempts)): \(reason); trying again in \(delay)",
                    metadata: ["eventId": "\(event.id)"])
                attempt += 1
                do { try await clock.sleep(for: delay) } catch { return }
            }
        }
    }

    private func drop(_ event: FleetEvent, target: NotificationTarget, reason: String, attempt: Int, logger: Logger) {
        metrics?.increment(.notifications, labels: ["target": target.name, "result": "failed"])
        failing.withLockedValue { $0[target.name] = (reason, ($0[target.name]?.count ?? 0) + 1) }
        logger.warning(
            "dropped the \(event.type.rawValue) notification for \(target.name) after \(attempt) tries: \(reason)",
            metadata: ["eventId": "\(event.id)"])
    }

    /// One try: false when the target has nothing to say about `event`; throws ``NotificationFailure`` saying
    /// whether another try could help. A try that fails after some of its requests went through sends them again.
    func deliverOnce(_ event: FleetEvent, to target: NotificationTarget, statusURL: String?) async throws -> Bool {
        let secret: String
        do {
            secret = try String(contentsOfFile: target.secretFile, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw NotificationFailure(message: "cannot read secretFile \(target.secretFile)", final: false)
        }
        var told = false
        if let request = target.request(for: event, secret: secret, statusURL: statusURL) {
            _ = try await send(request)
            told = true
        }
        if target.environment != nil, let commit = event.commit,
            let create = target.createDeployment(for: event, secret: secret),
            NotificationTarget.deploymentState(of: event) != nil
        {
            let key = "\(target.name) \(commit)"
            var id = deployments.withLockedValue { $0[key] }
            if id == nil {
                guard let created = NotificationTarget.deploymentID(in: try await send(create)) else {
                    throw NotificationFailure(message: "GitHub answered a new deployment without its id", final: true)
                }
                // A few commits are in flight at most; a bound keeps ids of deployments never finished from piling up.
                deployments.withLockedValue { ids in
                    if ids.count >= 100 { ids.removeAll() }
                    ids[key] = created
                }
                id = created
            }
            if let id, let status = target.deploymentStatus(id, for: event, secret: secret, statusURL: statusURL) {
                _ = try await send(status)
            }
            if event.type == .deploymentFinished { deployments.withLockedValue { $0[key] = nil } }
            told = true
        }
        return told
    }

    /// Sends `request`; its answer's body when the answer is 2xx, else a ``NotificationFailure`` that is final
    /// unless trying again could help (no answer, 5xx, 408, 429).
    private func send(_ request: NotificationRequest) async throws -> [UInt8] {
        let answer: (status: Int, body: [UInt8])
        do {
            answer = try await transport(request)
        } catch {
            throw NotificationFailure(message: "no answer: \(Self.describe(error))", final: false)
        }
        guard (200..<300).contains(answer.status) else {
            let retriable = answer.status >= 500 || answer.status == 408 || answer.status == 429
            throw NotificationFailure(message: "answered HTTP \(answer.status)", final: !retriable)
        }
        return answer.body
    }

    /// Names an error without quoting a URL, which for Slack is the secret.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            return "\(error)".replacingOccurrences(of: "HTTPClientError.", with: "")
        }
        return String(describing: type(of: error))
    }

    /// POSTs through the process's shared AsyncHTTPClient, within 30 s, and reads at most 64 KiB of the answer.
    static func post(_ request: NotificationRequest) async throws -> (status: Int, body: [UInt8]) {
        var http = HTTPClientRequest(url: request.url)
        http.method = .RAW(value: request.method)
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(bytes: request.body))
        let response = try await HTTPClient.shared.execute(http, timeout: .seconds(30))
        let body = (try? await response.body.collect(upTo: 64 * 1024)).map { Array(buffer: $0) } ?? []
        return (Int(response.status.code), body)
    }
}

/// Why one try of a notification failed; `final` when trying again cannot help (the target refused it).
struct NotificationFailure: Error, Sendable {
    var message: String
    var final: Bool
}
