import AsyncHTTPClient
import FleetController
import FleetModel
import FleetServer
import Foundation
import Logging
import ServiceLifecycle

/// `gitfleet agent`'s work: on a load-balancer host, follow the controller's serving set
/// (`GET /api/v1/discovery`, long-polled by its entity tag), publish it to local outputs with a
/// ``DiscoveryPublisher`` of its own (the controller's renderers, atomic writes, placeholders, reload command and
/// retry), and tell every controller replica where its outputs stand (`POST /api/v1/agents/{name}`), so the
/// leader lets an instance leave only once every required agent confirmed a publication without it.
///
/// Three loops run as child tasks until the service is cancelled or shut down gracefully:
/// - **follow**: long-polls the controller the ``ControllerRotation`` points at; on an error it moves to the next
///   with back-off, keeping the entity tag (standbys serve the same tag for the same registry state). Each new
///   document is validated (``ServingSet/validate()``): a refused one is never rendered and becomes the report's
///   `problem`. A publication that waits is tried again at its `retryAt` even when nothing new arrives. While no
///   controller answers, nothing is written: the outputs keep the last good set.
/// - **tick**: asks for a report every `heartbeat`.
/// - **report**: sends the current ``AgentReport`` to every controller at once, after each attempt and each
///   tick (the newest request only: reports are state, not a queue); failures are logged, never retried.
///
/// Leaves the outputs as they are when it stops.
public actor DiscoveryAgent: Service {
    public struct Configuration: Sendable {
        /// The agent's name, in the report's URL and the controller's `requiredAgents`.
        public var name: String
        /// The controllers' base URLs (`http://host:port`, no trailing slash), in the order they are tried; at least one.
        public var controllers: [String]
        /// The outputs, reload command and its timeout, and the port; restoring files on failure is always on.
        public var publisher: DiscoveryPublisher.Configuration
        /// A file holding the API token, read again before every request so a rotated token is used at once.
        public var tokenFile: String?
        /// How long one long poll waits for a change (the controller allows at most 5m).
        public var wait: Duration
        /// How often the report is sent when nothing happens.
        public var heartbeat: Duration
        /// The bound of one report request.
        public var reportTimeout: Duration
        /// The first delay after a controller failed; it doubles after every round of failures, up to 10 s.
        public var backOff: Duration
        public var version: String

        public init(
            name: String, controllers: [String], publisher: DiscoveryPublisher.Configuration,
            tokenFile: String? = nil, wait: Duration = .seconds(30), heartbeat: Duration = .seconds(5),
            reportTimeout: Duration = .seconds(5), backOff: Duration = .milliseconds(500),
            version: String = GitFleetCommand.release
        ) {
            self.name = name
            self.controllers = controllers
            self.publisher = publisher
            self.publisher.restoresOnFailure = true
            self.tokenFile = tokenFile
            self.wait = wait
            self.heartbeat = heartbeat
            self.reportTimeout = reportTimeout
            self.backOff = backOff
            self.version = version
        }
    }

    public nonisolated let configuration: Configuration
    /// Publishes the set locally; its status has the reload's output of a failed attempt.
    public nonisolated let publisher: DiscoveryPublisher
    private let logger: Logger

    /// What the next report says.
    public private(set) var report: AgentReport
    private var rotation: ControllerRotation
    /// The entity tag the long poll waits to change: that of the newest document received, applied or not.
    private var seenIndex: String?
    /// The newest valid document's set and tag while its publication waits; nil once confirmed (or refused).
    private var pending: (index: String, set: ServingSet, retryAt: ContinuousClock.Instant)?
    /// Whether the controller followed answered as a standby, and when the other replicas were last asked
    /// which one leads.
    private var followingStandby = false
    private var leaderSearchedAt: ContinuousClock.Instant?
    /// The token last read from `tokenFile`, and whether reading it fails now.
    private var token: (value: String?, failing: Bool) = (nil, false)
    /// Controllers whose last report failed, so a failure is a warning once and a recovery is said.
    private var failingReports: Set<String> = []
    /// Whether a controller without the agents API (404) was already told at warning.
    private var warnedMissingAPI = false
    private var reports: AsyncStream<Void>.Continuation?
    /// The agent's own HTTP client while it runs (see ``run()``).
    private var http: HTTPClient?

    public init(configuration: Configuration, logger: Logger = Logger(label: "gitfleet.agent")) {
        self.configuration = configuration
        self.logger = logger
        publisher = DiscoveryPublisher(configuration: configuration.publisher, logger: logger)
        rotation = ControllerRotation(
            controllers: configuration.controllers, backOff: configuration.backOff, maximum: .seconds(10))
        report = AgentReport(index: nil, following: configuration.controllers.first, version: configuration.version)
    }

    public func run() async throws {
        let (requests, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        reports = continuation
        // A controller that is down refuses connections: fail at once (the next replica is asked) rather than
        // retry connecting until the long poll's deadline, as the shared client does.
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        httpConfiguration.timeout.connect = .seconds(3)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        self.http = http
        logger.notice(
            "following \(rotation.current) for discovery",
            metadata: ["agent": "\(configuration.name)", "controllers": "\(configuration.controllers)"])
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.follow() }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.configuration.heartbeat)
                        await self.requestReport()
                    }
                }
                group.addTask {
                    for await _ in requests {
                        if Task.isCancelled { break }
                        await self.sendReports()
                    }
                }
            }
        }
        continuation.finish()
        self.http = nil
        try? await http.shutdown()
        logger.notice("stopped; the outputs stay as they are", metadata: ["agent": "\(configuration.name)"])
    }

    private func requestReport() {
        reports?.yield()
    }

    // MARK: following

    private func follow() async {
        while !Task.isCancelled {
            await findLeaderIfStandingBy()
            let controller = rotation.current
            let started = ContinuousClock.now
            let wait = pollWait()
            do {
                let document = try await client(controller).discovery(changedFrom: seenIndex, wait: wait)
                if rotation.succeeded() {
                    logger.notice("following \(controller) for discovery", metadata: ["controller": "\(controller)"])
                }
                report.following = controller
                if let role = document?.role { followingStandby = role == .standby }
                // A controller that does not hold the poll may send the same document again: nothing new.
                if let document, document.index != seenIndex {
                    await received(document)
                } else {
                    await retryIfDue()
                    // A controller that answers at once instead of waiting must not make this a busy loop.
                    if wait > .zero, ContinuousClock.now - started < .milliseconds(200) {
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
            } catch {
                if Task.isCancelled { return }
                let delay = rotation.failed()
                // Each replica's failure once per outage; the rounds after that say nothing new.
                let level: Logger.Level = rotation.failures <= configuration.controllers.count ? .warning : .debug
                logger.log(
                    level: level,
                    "cannot follow \(controller): \(error); trying \(rotation.current) in \(delay.manifestDescription)",
                    metadata: ["controller": "\(controller)", "next": "\(rotation.current)"])
                await retryIfDue()
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// The long poll's wait: shorter while a publication waits, so its retry is not late, and at most a heartbeat
    /// while a standby is followed, so the search for the leader is repeated.
    private func pollWait() -> Duration {
        var wait = configuration.wait
        if followingStandby, configuration.controllers.count > 1 { wait = min(wait, configuration.heartbeat) }
        guard let pending else { return wait }
        return max(.zero, min(wait, pending.retryAt - ContinuousClock.now))
    }

    /// While the followed replica stands by, asks the others (once a heartbeat, without waiting) which one leads,
    /// and follows that one: the leader's drains wait for its publication, which a standby's mirror of the
    /// registry does not always equal (no canary weights, no instances withheld as unready).
    private func findLeaderIfStandingBy() async {
        guard followingStandby, configuration.controllers.count > 1 else { return }
        let now = ContinuousClock.now
        if let searched = leaderSearchedAt, now - searched < configuration.heartbeat { return }
        leaderSearchedAt = now
        for controller in configuration.controllers where controller != rotation.current {
            guard
                let document = try? await client(controller).discovery(
                    changedFrom: nil, wait: .zero, slack: configuration.reportTimeout),
                document.role == .leader
            else { continue }
            logger.notice(
                "following \(controller) for discovery: it leads, \(rotation.current) stands by",
                metadata: ["controller": "\(controller)"])
            rotation.follow(controller)
            report.following = controller
            followingStandby = false
            if document.index != seenIndex { await received(document) }
            return
        }
    }

    private func received(_ document: DiscoveryDocument) async {
        seenIndex = document.index
        let set = ServingSet(services: document.services)
        do {
            try set.validate()
        } catch {
            // The outputs keep what they show; a publication of an older set that waited is not wanted any more.
            pending = nil
            report.problem = error.description
            report.output = nil
            logger.error("\(error)", metadata: ["index": "\(document.index)"])
            requestReport()
            return
        }
        pending = (document.index, set, ContinuousClock.now)
        await publishPending()
    }

    private func retryIfDue() async {
        guard let pending, ContinuousClock.now >= pending.retryAt else { return }
        await publishPending()
    }

    private func publishPending() async {
        guard let (index, set, _) = pending else { return }
        let outcome = await publisher.publish(set)
        // Another document may have arrived while the reload ran; only its own attempt settles it.
        guard self.pending?.index == index else { return }
        switch outcome {
        case .confirmed:
            self.pending = nil
            let endpoints = set.services.values.map(\.count).reduce(0, +)
            if report.index != index || report.problem != nil {
                logger.notice(
                    "published \(endpoints) endpoint(s) of \(set.services.count) service(s)",
                    metadata: ["index": "\(index)"])
            }
            report.index = index
            report.problem = nil
            report.output = nil
        case .waiting(let reason, let retryAt):
            self.pending = (index, set, retryAt)
            report.problem = reason
            report.output = await publisher.status.output
            logger.error("publication failed, retrying: \(reason)", metadata: ["index": "\(index)"])
        }
        requestReport()
    }

    // MARK: reporting

    private func sendReports() async {
        let report = self.report
        let clients = configuration.controllers.map { client($0) }
        let timeout = configuration.reportTimeout
        let name = configuration.name
        let results = await withTaskGroup(of: (String, String?, Bool).self) { group in
            for client in clients {
                group.addTask {
                    do {
                        guard let (status, refusal) = try await client.report(report, agent: name, timeout: timeout)
                        else { return (client.base, nil, false) }
                        return (client.base, refusal.description, status == 404)
                    } catch {
                        return (client.base, "\(error)", false)
                    }
                }
            }
            var results: [(String, String?, Bool)] = []
            for await result in group { results.append(result) }
            return results
        }
        // Reports cut short by the agent's own stop are not the controllers' failures.
        guard !Task.isCancelled else { return }
        for (controller, failure, missingAPI) in results { noteReport(to: controller, failure: failure, missingAPI) }
    }

    /// Logs a report's fate: a failure at warning once per controller and episode (debug after), a controller
    /// without the agents API at warning once for all, a recovery at info.
    private func noteReport(to controller: String, failure: String?, _ missingAPI: Bool) {
        let metadata: Logger.Metadata = ["controller": "\(controller)"]
        guard let failure else {
            if failingReports.remove(controller) != nil {
                logger.info("reports reach \(controller) again", metadata: metadata)
            }
            return
        }
        let first = failingReports.insert(controller).inserted
        if missingAPI {
            if !warnedMissingAPI {
                warnedMissingAPI = true
                logger.warning(
                    "\(controller) has no agents API (404): it does not know this agent; following its discovery works",
                    metadata: metadata)
            } else {
                logger.debug("report not taken: \(failure)", metadata: metadata)
            }
        } else if first {
            logger.warning("cannot report: \(failure)", metadata: metadata)
        } else {
            logger.debug("cannot report: \(failure)", metadata: metadata)
        }
    }

    private func client(_ base: String) -> ControllerClient {
        ControllerClient(base: base, token: currentToken(), http: http, tokenWording: .agent)
    }

    /// The token file read again before each request, so a Secret rotated in place is used at once; while it
    /// cannot be read, the last token read is sent and the failure logged once. The token itself is never logged.
    private func currentToken() -> String? {
        guard let path = configuration.tokenFile else { return nil }
        let text = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        if let text, !text.isEmpty {
            if token.failing { logger.info("--token-file \(path) is readable again") }
            token = (text, false)
        } else if !token.failing {
            token.failing = true
            let sending = token.value == nil ? "sending no token" : "sending the last token read"
            logger.warning("--token-file \(path) cannot be read or is empty; \(sending)")
        }
        return token.value
    }
}
