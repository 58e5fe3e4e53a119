import FleetRuntime
import Testing

@Suite("HealthTracker")
struct HealthTrackerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var healthyThreshold = 2
        var unhealthyThreshold = 3
        var startTimeout = 60
        var minReady = 0
        /// Probe results at whole seconds after the start: (second, passed).
        var probes: [(Int, Bool)]
        /// When to ask, in seconds after the start.
        var at: Int
        var expected: HealthTracker.Status

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no probes yet", probes: [], at: 1, expected: .starting),
        Case(name: "one pass below threshold", probes: [(1, true)], at: 2, expected: .starting),
        Case(name: "threshold reached", probes: [(1, true), (2, true)], at: 2, expected: .healthy),
        Case(
            name: "a failure resets the passes", probes: [(1, true), (2, false), (3, true)], at: 3, expected: .starting),
        Case(
            name: "never healthy before timeout", startTimeout: 10, probes: [(1, false), (5, false)], at: 11,
            expected: .timedOut),
        Case(
            name: "healthy before timeout stays healthy", startTimeout: 10, probes: [(1, true), (2, true)], at: 30,
            expected: .healthy),
        Case(
            name: "passes after the timeout do not rescue", startTimeout: 10, probes: [(11, true), (12, true)], at: 12,
            expected: .timedOut),
        Case(
            name: "failures while starting only time out", probes: [(1, false), (2, false), (3, false), (4, false)],
            at: 5, expected: .starting),
        Case(
            name: "minReady holds it in starting", minReady: 10, probes: [(1, true), (2, true)], at: 5,
            expected: .starting),
        Case(name: "minReady elapsed", minReady: 10, probes: [(1, true), (2, true)], at: 12, expected: .healthy),
        Case(
            name: "failures below unhealthy threshold", probes: [(1, true), (2, true), (3, false), (4, false)], at: 4,
            expected: .healthy),
        Case(
            name: "unhealthy after threshold failures",
            probes: [(1, true), (2, true), (3, false), (4, false), (5, false)], at: 5, expected: .unhealthy
        ),
        Case(
            name: "recovers after threshold passes",
            probes: [(1, true), (2, true), (3, false), (4, false), (5, false), (6, true), (7, true)], at: 7,
            expected: .healthy
        ),
        Case(
            name: "threshold 1", healthyThreshold: 1, unhealthyThreshold: 1, probes: [(1, true), (2, false)], at: 2,
            expected: .unhealthy),
    ]

    @Test(arguments: cases)
    func verdict(_ example: Case) {
        let start = ContinuousClock.now
        var tracker = HealthTracker(
            healthyThreshold: example.healthyThreshold,
            unhealthyThreshold: example.unhealthyThreshold,
            startTimeout: .seconds(example.startTimeout),
            minReady: .seconds(example.minReady),
            startedAt: start
        )
        for (second, passed) in example.probes {
            tracker.record(ProbeResult(success: passed, detail: "probe at \(second)s"), at: start + .seconds(second))
        }
        #expect(tracker.status(at: start + .seconds(example.at)) == example.expected)
        if let last = example.probes.last {
            #expect(tracker.lastDetail == "probe at \(last.0)s")
        }
    }
}
