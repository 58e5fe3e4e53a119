import CoreMetrics
import Prometheus

/// The swift-metrics factory that records into one controller's `PrometheusCollectorRegistry`, with the HELP text
/// and histogram buckets its `MetricFamily` declares.
///
/// swift-prometheus's own `PrometheusMetricsFactory` registers every family with an empty help text, so `/metrics`
/// would lose its `# HELP` lines, and the registry stops the process when one family is registered with two
/// different help texts. This factory passes each declared family's help and buckets instead, so swift-metrics'
/// `Counter` and `Timer` made with `factory:` produce exactly the documented families (gauges are kept by
/// `FleetMetrics` itself; its meters are here for swift-metrics' contract). It is given
/// explicitly to every metric (never bootstrapped into the process-global `MetricsSystem`), because one test
/// process runs many controllers, each with its own registry.
struct FleetMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    private let families: [String: MetricFamily]

    init(registry: PrometheusCollectorRegistry, families: [MetricFamily]) {
        self.registry = registry
        self.families = Dictionary(families.map { ($0.name, $0) }) { first, _ in first }
    }

    private func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: families[name]?.help ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    /// A non-aggregating recorder is a gauge; an aggregating one a histogram of plain values.
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(
            descriptor: descriptor(label), labels: dimensions, buckets: buckets(label))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        // Whole nanoseconds, so a bound renders as written (`0.005`, not a binary approximation of it).
        registry.makeDurationHistogram(
            descriptor: descriptor(label), labels: dimensions,
            buckets: buckets(label).map { .nanoseconds(Int64(($0 * 1e9).rounded())) })
    }

    /// The declared buckets of a histogram family; an undeclared one gets the duration buckets.
    private func buckets(_ name: String) -> [Double] {
        guard case .histogram(let buckets)? = families[name]?.kind else { return MetricFamily.durationBuckets }
        return buckets
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        switch handler {
        case let gauge as Prometheus.Gauge: registry.unregisterGauge(gauge)
        case let histogram as ValueHistogram: registry.unregisterValueHistogram(histogram)
        default: break
        }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
