extension MetricFamily {
    /// 1 while an open freeze window covers `service` (its new specs wait), 0 otherwise; one series per service
    /// of the desired state.
    public static let freezeActive = MetricFamily(
        name: "gitfleet_freeze_active",
        help: "1 while a freeze window covers the service (new rollouts wait), 0 otherwise.",
        kind: .gauge,
        labelNames: ["service"]
    )
}

extension FleetMetrics {
    /// The services of the desired state, each covered by an open freeze window or not.
    public func setFrozen(_ services: [String: Bool]) {
        replaceAll(.freezeActive, with: services.map { (labels: ["service": $0.key], value: $0.value ? 1 : 0) })
    }
}
