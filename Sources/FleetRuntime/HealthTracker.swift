import FleetModel

/// What the probes say about one instance over time: a pure state machine the executor feeds with probe
/// results and asks for a verdict.
///
/// - A new instance is `starting` until `healthyThreshold` consecutive probes pass; it has `timedOut` when
///   `startTimeout` passes first (counted from its start).
/// - Once healthy it stays `starting` for `minReady` more (a flapping instance must not count as available),
///   then is `healthy`.
/// - `unhealthyThreshold` consecutive failures after that make it `unhealthy`; `healthyThreshold` consecutive
///   passes make it healthy again (the executor, not the tracker, decides to quarantine it).
public struct HealthTracker: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable {
        case starting
        case healthy
        case unhealthy
        case timedOut
    }

    enum Phase: Hashable, Sendable {
        case starting
        case healthy(since: ContinuousClock.Instant)
        case unhealthy
    }

    public let healthyThreshold: Int
    public let unhealthyThreshold: Int
    public let startTimeout: Duration
    public let minReady: Duration
    public let startedAt: ContinuousClock.Instant
    public private(set) var consecutivePasses = 0
    public private(set) var consecutiveFailures = 0
    /// The detail of the last probe, for the instance's `reason`.
    public private(set) var lastDetail: String?
    var phase: Phase = .starting

    public init(
        healthyThreshold: Int,
        unhealthyThreshold: Int,
        startTimeout: Duration,
        minReady: Duration = .zero,
        startedAt: ContinuousClock.Instant
    ) {
        self.healthyThreshold = max(healthyThreshold, 1)
        self.unhealthyThreshold = max(unhealthyThreshold, 1)
        self.startTimeout = startTimeout
        self.minReady = minReady
        self.startedAt = startedAt
    }

    public init(check: HealthCheck, minReady: Duration = .zero, startedAt: ContinuousClock.Instant) {
        self.init(
            healthyThreshold: check.healthyThreshold,
            unhealthyThreshold: check.unhealthyThreshold,
            startTimeout: check.startTimeout,
            minReady: minReady,
            startedAt: startedAt
        )
    }

    /// Feeds one probe result observed at `time`.
    public mutating func record(_ result: ProbeResult, at time: ContinuousClock.Instant) {
        lastDetail = result.detail
        if result.success {
            consecutivePasses += 1
            consecutiveFailures = 0
            switch phase {
            case .starting:
                // A pass that lands after the start timeout does not rescue the instance.
                if consecutivePasses >= healthyThreshold && time - startedAt <= startTimeout {
                    phase = .healthy(since: time)
                }
            case .unhealthy:
                if consecutivePasses >= healthyThreshold { phase = .healthy(since: time) }
            case .healthy:
                break
            }
        } else {
            consecutiveFailures += 1
            consecutivePasses = 0
            if case .healthy = phase, consecutiveFailures >= unhealthyThreshold {
                phase = .unhealthy
            }
        }
    }

    /// The verdict at `now`.
    public func status(at now: ContinuousClock.Instant) -> Status {
        switch phase {
        case .starting:
            return now - startedAt > startTimeout ? .timedOut : .starting
        case .healthy(let since):
            return now - since >= minReady ? .healthy : .starting
        case .unhealthy:
            return .unhealthy
        }
    }
}
