extension FleetMetrics {
    /// A publication of the serving set ended with `result` (`ok`, `failed`, `render_failed`).
    public func recordDiscoveryPublication(result: String, servingSet set: ServingSet) {
        increment(.discoveryReloads, labels: ["result": result])
        self.set(.discoveryFailing, to: result == "ok" ? 0 : 1)
        if result == "ok" {
            replaceAll(
                .discoveryEndpoints,
                with: set.names.map { (labels: ["service": $0], value: Double(set.services[$0]?.count ?? 0)) })
        }
    }
}
