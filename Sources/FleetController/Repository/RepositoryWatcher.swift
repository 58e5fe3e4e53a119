import FleetGit
import FleetModel
import FleetRegistry
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Watches the tracked branch and turns each new head into a ``DetectedCommit`` on ``commits``.
///
/// Looks every poll interval (jittered by up to 10%) with a cheap remote head lookup and fetches only when the
/// head moved; a webhook makes it look at once, and a webhook that names its revision skips the lookup (a
/// revision the cache already holds costs nothing at all). While Git fails, the interval backs off
/// exponentially up to 5 minutes. Only the leader watches: a standby does nothing here.
///
/// All Git work runs on the repository's own thread under its network deadline, so a silent remote costs
/// at most that deadline per attempt, and shutdown never waits for it (a call in flight is abandoned).
/// What the watcher is doing and how Git has fared are in ``health()`` for readiness.
public actor RepositoryWatcher: Service {
    /// How Git has fared, for readiness and the status API.
    public struct Health: Sendable {
        /// The operation in flight and when it started.
        public var inFlight: (operation: String, since: ContinuousClock.Instant)?
        /// Since when Git has been failing, the failing operation and its last error (a sentence).
        public var failing: (since: Date, operation: String, message: String)?
        public var failures = 0
        /// The head last seen on the tracked branch.
        public var lastSeen: CommitID?
        /// When the remote last answered: a fetch, or a head lookup that found nothing new to fetch.
        public var lastFetchAt: Date?
    }

    public nonisolated let commits: AsyncStream<DetectedCommit>
    private nonisolated let output: AsyncStream<DetectedCommit>.Continuation
    private nonisolated let requests = NIOLockedValueBox(Requests())
    private nonisolated let wake = WakeSignal()

    let repository: TrackedRepository
    let pollInterval: Duration
    let leadership: LeaderElection?
    let metrics: FleetMetrics
    let logger: Logger
    private var state = Health()
    private var leading = false

    public init(
        repository: TrackedRepository, pollInterval: Duration, leadership: LeaderElection?, metrics: FleetMetrics,
        logger: Logger
    ) {
        self.repository = repository
        self.pollInterval = pollInterval
        self.leadership = leadership
        self.metrics = metrics
        self.logger = logger
        (commits, output) = AsyncStream.makeStream(of: DetectedCommit.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func health() -> Health { state }

    /// Why Git stops the controller from following the branch, if it does: an operation that has waited
    /// long for the remote, or one that keeps failing, each named with how long.
    public func readinessProblems() -> [String] {
        var problems: [String] = []
        if let inFlight = state.inFlight {
            let waited = ContinuousClock.now - inFlight.since
            if waited > max(.seconds(10), repository.networkTimeout / 2) {
                problems.append(
                    "git: \(inFlight.operation) has waited \(Self.rounded(waited)) for the remote (deadline "
                        + "\(repository.networkTimeout.manifestDescription))")
            }
        }
        if let failing = state.failing {
            let duration = Duration.seconds(max(0, Date().timeIntervalSince(failing.since)))
            problems.append("git: \(failing.operation) failing for \(Self.rounded(duration)): \(failing.message)")
        }
        return problems
    }

    /// Whole seconds (`42s`, `3m5s`): precise enough for a person reading readiness.
    static func rounded(_ duration: Duration) -> String {
        Duration.seconds(max(1, duration.components.seconds)).manifestDescription
    }

    /// Asks for a look at once (a webhook saw a push). `revision`, when the sender named it, is fetched
    /// directly, or not at all when the cache already holds it. Coalesces with any look already asked for.
    public nonisolated func trigger(revision: String?, delivery: String?) {
        requests.withLockedValue { requests in
            requests.look = true
            requests.revision = revision.flatMap(CommitID.init(hex:))
            requests.delivery = delivery
        }
        wake.signal()
    }

    public func run() async throws {
        defer { output.finish() }
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
    }

    private func loop() async {
        var nextPoll = ContinuousClock.now
        var trigger = DetectedCommit.Trigger.startup
        while !Task.isCancelled {
            guard await mayWatch() else {
                trigger = .startup
                await wake.wait(timeout: leadership.map { $0.ttl / 6 } ?? .seconds(1))
                continue
            }
            let asked = requests.withLockedValue { requests in
                defer { requests = Requests() }
                return requests
            }
            if asked.look || ContinuousClock.now >= nextPoll {
                if asked.look { trigger = .webhook(delivery: asked.delivery) }
                do {
                    try await look(trigger: trigger, revision: asked.revision)
                } catch is CancellationError {
                    return
                } catch {
                    // Reported by look(); the fleet stays as it is.
                }
                trigger = .poll
                nextPoll = ContinuousClock.now.advanced(by: nextPollDelay())
            }
            await wake.wait(timeout: max(ContinuousClock.now.duration(to: nextPoll), .milliseconds(5)))
        }
    }

    /// Whether this replica watches now; a replica that stops leading forgets the head it saw, so that it
    /// reports the head afresh if it leads again.
    private func mayWatch() async -> Bool {
        guard let leadership else { return true }
        let isLeader = await leadership.isLeader
        if !isLeader && leading { state.lastSeen = nil }
        leading = isLeader
        return isLeader
    }

    /// One look: the remote head (unless a webhook named it), a fetch when it moved, and the new head out.
    private func look(trigger: DetectedCommit.Trigger, revision: CommitID?) async throws {
        let lastSeen = state.lastSeen
        var fetch = true
        if let revision {
            if revision == lastSeen { return }
            // The sender said where the branch is: no lookup, and no transfer when the cache is there already.
            fetch = try await run("read") { try await $0.localHead() } != revision
        } else {
            let remote = try await run("head lookup") { try await $0.remoteHead() }
            if let remote, remote == lastSeen {
                state.lastFetchAt = Date()
                succeeded()
                return
            }
        }
        if fetch {
            let took = try await run("fetch") { try await $0.fetch() }
            if took > .zero { metrics.recordGitFetch(duration: took) }
            state.lastFetchAt = Date()
        }
        let head = try await run("read") { try await $0.localHead() }
        succeeded()
        guard head != lastSeen else { return }
        state.lastSeen = head
        let detected = DetectedCommit(commit: head, trigger: trigger)
        logger.info("new head \(head.short) on the tracked branch (\(trigger))", metadata: detected.logMetadata)
        output.yield(detected)
    }

    /// Runs one Git operation on the repository's thread, abandoning it (not waiting for its deadline) when
    /// the watcher is cancelled, and records how it went.
    private func run<Result: Sendable>(
        _ operation: String, _ work: @escaping @Sendable (TrackedRepository) async throws -> Result
    ) async throws -> Result {
        let repository = repository
        state.inFlight = (operation, ContinuousClock.now)
        defer { state.inFlight = nil }
        do {
            return try await abandoningOnCancel { try await work(repository) }
        } catch let error as CancellationError {
            throw error
        } catch {
            failed(operation, error)
            throw error
        }
    }

    private func succeeded() {
        metrics.recordRemoteRead()
        if let failing = state.failing {
            logger.notice(
                "git: \(failing.operation) works again after \(state.failures) failed attempts",
                metadata: ["operation": "\(failing.operation)", "attempt": "\(state.failures + 1)"])
        }
        state.failing = nil
        state.failures = 0
    }

    private func failed(_ operation: String, _ error: any Error) {
        let gitError = error as? GitError
        let message = gitError?.message ?? "\(error)"
        state.failures += 1
        state.failing = (state.failing?.since ?? Date(), operation, message)
        metrics.recordGitFailure(
            operation: operation == "read" ? "read" : "fetch", code: gitError.map { $0.code.rawValue } ?? "other")
        var metadata: Logger.Metadata = ["operation": "\(operation)", "attempt": "\(state.failures)"]
        if let gitError {
            metadata["operation"] = "\(gitError.operation)"
            metadata["code"] = "\(gitError.code.rawValue)"
        }
        // The first failure is an error; the retries that follow say it goes on, with the attempt.
        logger.log(
            level: state.failures == 1 ? .error : .warning,
            "git: \(operation) failed: \(message) (attempt \(state.failures); the fleet stays as it is)",
            metadata: metadata)
    }

    /// The poll interval with up to 10% jitter, or a capped exponential back-off while Git fails.
    private func nextPollDelay() -> Duration {
        var delay = pollInterval
        if state.failures > 0 {
            delay = min(pollInterval * (1 << min(state.failures, 6)), .seconds(300))
        }
        return delay + delay * Double.random(in: 0..<0.1)
    }

    /// What webhooks asked for since the last look.
    private struct Requests: Sendable {
        var look = false
        var revision: CommitID?
        var delivery: String?
    }
}
