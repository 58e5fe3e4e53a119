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
///
/// Gauges are the exception: their series are kept here, in one dictionary per family, and written after the
/// registry's families. swift-prometheus 2.4.1 copies a family's whole dictionary of series each time it adds one,
/// so the per-service gauges of a large fleet (`gitfleet_service_phase` and `gitfleet_instances`, eleven series
/// per service, all new on a controller's first pass) cost time quadratic in the fleet: 10,000 services kept a
/// first pass busy for more than ten minutes. Here a new series is one insertion.
/// Labels are given by name; a label the family does not declare is a programming error (caught by an assertion
/// in debug builds and dropped in release builds), and a declared label that is not given is recorded as "".
public final class FleetMetrics: Sendable {
    /// The registry `/metrics` is exported from.
    public let registry: PrometheusCollectorRegistry
    private let factory: FleetMetricsFactory
    /// Every gauge series, by family name, then by label values in the order of `labelNames`.
    private let gauges = NIOLockedValueBox<[String: GaugeSeries]>([:])
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
        let values = family.dimensions(labels).map(\.1)
        gauges.withLockedValue { gauges in
            gauges[family.name, default: GaugeSeries(family: family)].values[values] = value
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
        gauges.withLockedValue { gauges in
            guard let series = gauges[family.name] else { return }
            for values in series.values.keys where matches(values) {
                gauges[family.name]?.values.removeValue(forKey: values)
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
        var text = registry.emitToString()
        gauges.withLockedValue { gauges in
            for name in gauges.keys.sorted() { gauges[name]?.write(into: &text) }
        }
        return text
    }
}

/// The series of one gauge family, written in the text exposition format as swift-prometheus writes its own.
private struct GaugeSeries {
    let family: MetricFamily
    var values: [[String]: Double] = [:]

    /// The `# HELP` and `# TYPE` lines and one line per series, sorted by label values; nothing without a series.
    func write(into text: inout String) {
        guard !values.isEmpty else { return }
        text += "# HELP \(family.name) \(family.help.replacingOccurrences(of: "\\", with: "\\\\"))\n"
        text += "# TYPE \(family.name) gauge\n"
        for (labels, value) in values.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            text += family.name
            if !labels.isEmpty {
                let pairs = zip(family.labelNames, labels).map { name, value in "\(name)=\"\(Self.escaped(value))\"" }
                text += "{\(pairs.joined(separator: ","))}"
            }
            text += " \(value)\n"
        }
    }

    /// A label value with backslash, double quote and line feed escaped.
    private static func escaped(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        return value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
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
