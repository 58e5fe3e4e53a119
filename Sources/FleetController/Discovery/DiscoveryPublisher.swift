import FleetRuntime
import Foundation
import Logging

/// Publishes the serving set to every discovery output and confirms it, so the converger can keep the
/// order that gives zero downtime: a new instance is published and confirmed before an old one leaves,
/// and an old one leaves and that is confirmed before its drain delay starts.
///
/// A publication renders every output, writes each file atomically (a temporary file renamed over the
/// old one, only when its content changed), updates the HTTP view, then runs the reload command (argv,
/// never a shell, bounded by a timeout). It is confirmed when the command exits 0, or at once when none
/// is configured. A failed one is recorded (``status``, metrics) and retried with exponential back-off;
/// until it succeeds ``publish(_:)`` answers `.waiting` and the converger holds every step that would
/// take an instance out of the outputs.
///
/// Every output is a valid configuration at all times: each service of the desired state has a block (a
/// placeholder marked down while it has no serving instance), and so does every service an output ever
/// showed — remembered for the life of the process and, for the nginx and HAProxy outputs, from the blocks
/// of the file found at the first publication — because a proxy configuration may still point at it; a
/// block that vanished would make every later reload fail.
public actor DiscoveryPublisher {
    public struct Configuration: Sendable, Hashable {
        public var outputs: [DiscoveryOutput]
        /// argv of the command that makes consumers read the outputs (`nginx -s reload`); empty: none.
        public var reloadCommand: [String]
        public var reloadTimeout: Duration
        /// The named port an output points clients at.
        public var port: String
        /// The first retry delay after a failure; it doubles with each further failure, up to 30 s.
        public var retryDelay: Duration
        /// Whether a failed publication puts back the files it replaced, so the outputs on disk stay the last
        /// confirmed ones (a discovery agent: its reload command may be a check that refused the new file, and
        /// a load balancer restarted meanwhile must find a configuration that worked).
        public var restoresOnFailure: Bool

        public init(
            outputs: [DiscoveryOutput] = [], reloadCommand: [String] = [], reloadTimeout: Duration = .seconds(10),
            port: String = "http", retryDelay: Duration = .milliseconds(500), restoresOnFailure: Bool = false
        ) {
            self.outputs = outputs
            self.reloadCommand = reloadCommand
            self.reloadTimeout = reloadTimeout
            self.port = port
            self.retryDelay = retryDelay
            self.restoresOnFailure = restoresOnFailure
        }
    }

    /// What a publication came to.
    public enum Outcome: Sendable, Equatable {
        /// The outputs show the set and the reload command confirmed it.
        case confirmed
        /// Not confirmed; the next attempt is not before `retryAt`.
        case waiting(reason: String, retryAt: ContinuousClock.Instant)
    }

    /// Where publication stands, for status, readiness and metrics.
    public struct Status: Sendable, Hashable {
        /// Why the last publication failed, while it does.
        public var problem: String?
        /// Consecutive failed publications.
        public var failures: Int
        public var lastConfirmedAt: Date?
        public var confirmedReloads: Int
        /// What the reload command wrote (standard output, then standard error; the last
        /// ``DiscoveryError/outputLimit`` bytes) in the failed attempt, while publication fails: what a discovery
        /// agent shows the controller so an operator need not log in to the load balancer.
        public var output: String? = nil
    }

    /// The serving set as the HTTP endpoint shows it, with its entity tag.
    public struct View: Sendable, Hashable {
        public var set: ServingSet
        /// A strong entity tag (quoted) over the set's canonical JSON.
        public var etag: String
    }

    public nonisolated let configuration: Configuration
    let metrics: FleetMetrics?
    /// Says that publication keeps failing, once per retry; the first failure and the recovery are events.
    let logger: Logger
    /// Where publications and failures are told; nil: nowhere.
    let events: EventLog?

    private var confirmed: ServingSet?
    private var attempted: ServingSet?
    /// The converger's clock: the back-off's `retryAt` paces the converger's passes, so both read one clock.
    let clock: any FleetClock
    private var retryAt: ContinuousClock.Instant
    /// Every service the outputs have shown, so a removed one keeps its placeholder block.
    private var shown: Set<String> = []
    /// Whether the blocks of the output files found at start were added to ``shown``.
    private var readPreviousOutputs = false
    public private(set) var status = Status(problem: nil, failures: 0, lastConfirmedAt: nil, confirmedReloads: 0)
    public private(set) var view = View(set: ServingSet(), etag: DiscoveryPublisher.etag(of: ServingSet()))

    public init(
        configuration: Configuration, metrics: FleetMetrics? = nil, events: EventLog? = nil,
        logger: Logger = Logger(label: "gitfleet.discovery"), clock: any FleetClock = SystemClock()
    ) {
        self.configuration = configuration
        self.clock = clock
        self.retryAt = clock.now
        self.metrics = metrics
        self.events = events
        self.logger = logger
        for family in MetricFamily.discovery { metrics?.register(family) }
    }

    /// Publishes `set` unless it is already confirmed; while a failed attempt of the same set is in its
    /// back-off, answers `.waiting` without trying again.
    public func publish(_ set: ServingSet) async -> Outcome {
        if set == confirmed { return .confirmed }
        let now = clock.now
        if set == attempted, now < retryAt, let problem = status.problem {
            return .waiting(reason: problem, retryAt: retryAt)
        }
        attempted = set
        let previous =
            configuration.restoresOnFailure
            ? configuration.outputs.map(\.path).map { path in
                (path, FileManager.default.contents(atPath: path))
            } : []
        do {
            try write(set)
            view = View(set: set, etag: Self.etag(of: set))
            try await reload()
        } catch {
            for case (let path, let data?) in previous { try? Self.writeAtomically(data, to: path) }
            status.failures += 1
            status.problem = "\(error)"
            status.output = (error as? DiscoveryError)?.output
            let factor = Double(1 << min(status.failures - 1, 6))
            retryAt = clock.now.advanced(by: min(configuration.retryDelay * factor, .seconds(30)))
            let renderFailed = (error as? DiscoveryError)?.isRenderFailure == true
            metrics?.recordDiscoveryPublication(result: renderFailed ? "render_failed" : "failed", servingSet: set)
            if status.failures > 1 {
                logger.warning(
                    "discovery: publication still failing (\(status.failures) in a row), retrying: \(error)",
                    metadata: ["attempt": "\(status.failures)"])
            } else {
                await events?.emit(
                    .discoveryFailing, "discovery outputs cannot be published; rollouts wait: \(error)",
                    fields: ["reason": .text("\(error)")])
            }
            return .waiting(reason: "\(error)", retryAt: retryAt)
        }
        let recovered = status.problem != nil
        confirmed = set
        status.problem = nil
        status.output = nil
        status.failures = 0
        status.lastConfirmedAt = clock.wallTime
        status.confirmedReloads += 1
        metrics?.recordDiscoveryPublication(result: "ok", servingSet: set)
        let endpoints = set.services.values.map(\.count).reduce(0, +)
        await events?.emit(
            .discoveryPublished,
            "discovery published \(endpoints) endpoint(s) of \(set.services.count) service(s)"
                + (recovered ? "; publication works again" : ""),
            fields: [
                "services": .number(set.services.count), "endpoints": .number(endpoints), "recovered": .flag(recovered),
            ])
        return .confirmed
    }

    /// Shows `set` on the HTTP view only, writing no file and running no reload: how a standby replica keeps
    /// its `/api/v1/discovery` current from the shared registry while the leader drives the outputs.
    public func mirror(_ set: ServingSet) {
        let etag = Self.etag(of: set)
        if etag != view.etag { view = View(set: set, etag: etag) }
    }

    /// The view once its entity tag differs from `etag`, waiting up to `wait` for that (a long poll);
    /// at once when `etag` is nil or already stale.
    public func view(changedFrom etag: String?, wait: Duration) async -> View {
        let deadline = ContinuousClock.now.advanced(by: wait)
        while view.etag == etag, ContinuousClock.now < deadline, !Task.isCancelled {
            // Polling the actor's own state keeps waiters free of bookkeeping; 50 ms is well under any
            // consumer's reaction time.
            try? await Task.sleep(for: .milliseconds(50))
        }
        return view
    }

    private func write(_ set: ServingSet) throws {
        if !readPreviousOutputs {
            readPreviousOutputs = true
            for output in configuration.outputs {
                guard let data = FileManager.default.contents(atPath: output.path) else { continue }
                shown.formUnion(DiscoveryTemplate.blocks(in: String(decoding: data, as: UTF8.self), kind: output.kind))
            }
        }
        shown.formUnion(set.services.keys)
        var set = set
        for name in shown where set.services[name] == nil { set.services[name] = [] }
        for output in configuration.outputs {
            let template: DiscoveryTemplate
            switch output.kind {
            case .nginx: template = .nginx
            case .haproxy: template = .haproxy
            case .template(let path):
                // Read at every publication so an edit needs no restart; a broken edit fails this
                // publication (retried) with the file and line, never the process.
                template = .user(try UserTemplate(contentsOf: path))
            }
            let text = template.render(set, port: configuration.port)
            try Self.writeAtomically(Data(text.utf8), to: output.path)
        }
    }

    /// Writes through a temporary file in the same directory and a rename, so a reader sees the old
    /// file or the new one, never half of one. An unchanged file is left alone.
    static func writeAtomically(_ data: Data, to path: String) throws {
        if FileManager.default.contents(atPath: path) == data { return }
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(directory.isEmpty ? "." : directory)/.\((path as NSString).lastPathComponent).gitfleet-tmp"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                throw DiscoveryError(.writeFailed, "renaming onto \(path) failed: \(String(cString: strerror(errno)))")
            }
        } catch let error as DiscoveryError {
            throw error
        } catch {
            throw DiscoveryError(.writeFailed, "the discovery output \(path) cannot be written", underlying: error)
        }
    }

    private func reload() async throws {
        guard let program = configuration.reloadCommand.first else { return }
        let display = configuration.reloadCommand.joined(separator: " ")
        let outcome: BoundedTool.Outcome
        do {
            let tool = try BoundedTool(program, package: nil, timeout: configuration.reloadTimeout)
            outcome = try await tool.run(Array(configuration.reloadCommand.dropFirst()))
        } catch let unavailable as BoundedTool.Unavailable {
            throw DiscoveryError(.reloadUnavailable, "the reload command \(display) cannot run: \(unavailable.message)")
        }
        if outcome.timedOut {
            var error = DiscoveryError(
                .reloadTimedOut,
                "the reload command \(display) did not finish within \(configuration.reloadTimeout); killed")
            error.output = DiscoveryError.output(outcome.output + outcome.errors)
            throw error
        }
        guard outcome.status == 0 else {
            var error = DiscoveryError(
                .reloadFailed,
                "the reload command \(display) exited \(outcome.status): \(outcome.firstErrorLine)")
            error.output = DiscoveryError.output(outcome.output + outcome.errors)
            throw error
        }
    }

    /// FNV-1a over the canonical JSON: stable across restarts and processes, which a hash seed is not.
    static func etag(of set: ServingSet) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(set)) ?? Data()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "\"\(String(hash, radix: 16))\""
    }
}
