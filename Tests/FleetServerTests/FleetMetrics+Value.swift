import FleetController
import GitFleetTesting

extension FleetMetrics {
    /// The value of one series as `/metrics` shows it, or nil when it has none (or the exposition does not parse).
    func value(of family: MetricFamily, labels: [String: String] = [:]) -> Double? {
        (try? PrometheusExposition(exposition()))?.value(family.name, labels)
    }
}
