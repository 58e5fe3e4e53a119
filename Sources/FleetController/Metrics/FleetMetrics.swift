import CoreMetrics
import Foundation
import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// One controller's metrics: recorded through swift-metrics, kept in its own swift-prometheus
/// `PrometheusCollectorRegistry` and exported from there in the Prometheus text format.
///
/// One instance is shared by the controller (which records reconciles, rollouts, drift and Git activity) and the
/// HTTP server (which records webhooks and serves `exposition()` on `/metrics`). Each controller has its own
/// registry and records through swift-metrics types made with an explicit `factory:`, never through the
/// process-global `MetricsSystem`, which can be bootstrapped only once while the tests run many controllers in
/// one process. All methods are safe to call from any thread and never wait on I/O.
///
/// Families are declared up front (`MetricFamily.all` by default), which gives each its HELP text and buckets.
/// swift-prometheus prints a family once it has a series: unlabeled counters and histograms are created at zero
/// when declared, so they are there from the first scrape; other families appear with their first sample.
/// Labels are given by name; a label the family does not declare is a programming error (caught by an assertion
/// in debug builds and dropped in release builds), and a declared label that is not given is recorded as "".
public final class FleetMetrics: Sendable {
    /// The registry `/metrics` is exported from.
    public let registry: PrometheusCollectorRegistry
    private let factory: FleetMetricsFactory
    /// The label values of every gauge series made so far, by family name, so that series of a removed service or
    /// an earlier revision can be destroyed; the lock also keeps a removal and a concurrent set of the same series
    /// in order.
    private let gaugeSeries = NIOLockedValueBox<[String: Set<[String]>]>([:])
    private let process = ProcessMetrics()

    public init(families: [MetricFamily] = MetricFamily.all) {
        registry = PrometheusCollectorRegistry()
        factory = FleetMetricsFactory(registry: registry, families: families)
        for family in families where family.labelNames.isEmpty && family.kind != .gauge {
            register(family)
        }
    }

    /// Makes an unlabeled counter or histogram show from now on, at zero; a gauge or labeled family appears with
    /// its first sample, since a value for it would have to be invented.
    public func register(_ family: MetricFamily) {
        guard family.labelNames.isEmpty else { return }
        switch family.kind {
        case .counter: _ = CoreMetrics.Counter(label: family.name, factory: factory)
        case .histogram: _ = CoreMetrics.Timer(label: family.name, factory: factory)
        case .gauge: set(family, to: 0)
        }
    }

    /// Adds `amount` (which must not be negative) to a counter series.
    public func increment(_ family: MetricFamily, by amount: Int = 1, labels: [String: String] = [:]) {
        precondition(family.kind == .counter, "\(family.name) is not a counter")
        CoreMetrics.Counter(label: family.name, dimensions: family.dimensions(labels), factory: factory)
            .increment(by: amount)
    }

    /// Adds a fraction (which must not be negative) to a counter series, e.g. CPU seconds.
    public func increment(_ family: MetricFamily, bySeconds amount: Double, labels: [String: String] = [:]) {
        precondition(family.kind == .counter, "\(family.name) is not a counter")
        FloatingPointCounter(label: family.name, dimensions: family.dimensions(labels), factory: factory)
            .increment(by: amount)
    }

    /// Sets a gauge series to `value`.
    public func set(_ family: MetricFamily, to value: Double, labels: [String: String] = [:]) {
        precondition(family.kind == .gauge, "\(family.name) is not a gauge")
        let dimensions = family.dimensions(labels)
        gaugeSeries.withLockedValue { series in
            series[family.name, default: []].insert(dimensions.map(\.1))
            Meter(label: family.name, dimensions: dimensions, factory: factory).set(value)
        }
    }

    /// Replaces every series of a gauge family with `series`, so series that are not given disappear (a service
    /// that was removed, a revision that is no longer deployed). The new series are set before the old ones go,
    /// so a scrape in between never misses the family.
    public func replaceAll(_ family: MetricFamily, with series: [(labels: [String: String], value: Double)]) {
        let kept = Set(series.map { family.dimensions($0.labels).map(\.1) })
        for (labels, value) in series {
            set(family, to: value, labels: labels)
        }
        remove(family) { !kept.contains($0) }
    }

    /// Removes the series of `family` whose labels include all of `matching`, e.g. every `gitfleet_instances`
    /// series of one service.
    public func remove(_ family: MetricFamily, matching: [String: String]) {
        let positions = matching.compactMap { name, value in family.labelNames.firstIndex(of: name).map { ($0, value) }
        }
        remove(family) { values in positions.allSatisfy { values[$0.0] == $0.1 } }
    }

    /// Removes the series of a gauge family whose label values (in the order of `labelNames`) match.
    func remove(_ family: MetricFamily, where matches: ([String]) -> Bool) {
        gaugeSeries.withLockedValue { series in
            for values in series[family.name, default: []] where matches(values) {
                Meter(label: family.name, dimensions: Array(zip(family.labelNames, values)), factory: factory)
                    .destroy()
                series[family.name]?.remove(values)
            }
        }
    }

    /// Counts one duration into a histogram series.
    public func observe(_ family: MetricFamily, _ duration: Duration, labels: [String: String] = [:]) {
        guard case .histogram = family.kind else { preconditionFailure("\(family.name) is not a histogram") }
        CoreMetrics.Timer(label: family.name, dimensions: family.dimensions(labels), factory: factory)
            .record(duration: duration)
    }

    /// Every family in the Prometheus text exposition format 0.0.4 (`Content-Type: text/plain; version=0.0.4`),
    /// with the process metrics read at this moment.
    public func exposition() -> String {
        process.update(self)
        return registry.emitToString()
    }
}

extension MetricFamily {
    /// The labels as swift-metrics dimensions, in the order of `labelNames`.
    fileprivate func dimensions(_ labels: [String: String]) -> [(String, String)] {
        assert(
            Set(labels.keys).isSubset(of: labelNames),
            "\(name) has labels \(labelNames), given \(labels.keys.sorted())"
        )
        return labelNames.map { ($0, labels[$0] ?? "") }
    }
}
