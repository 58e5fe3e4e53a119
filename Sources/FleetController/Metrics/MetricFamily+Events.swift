extension MetricFamily {
    /// Events emitted, by `type` (a `FleetEvent.Kind` raw value such as `instance-serving`): one counter for
    /// everything the event stream tells, beside the dedicated families (rollouts, drift, discovery).
    public static let events = MetricFamily(
        name: "gitfleet_events_total",
        help: "Events emitted by the controller, by type.",
        kind: .counter,
        labelNames: ["type"]
    )
}

extension FleetMetrics {
    /// One event of `type` was emitted.
    public func recordEvent(type: String) {
        increment(.events, labels: ["type": type])
    }
}
