extension MetricFamily {
    /// Discovery reload commands run, by `result`: `ok`, `failed` (non-zero exit, timeout, not startable) or
    /// `render_failed` (an output could not be rendered or written, so no reload was tried).
    public static let discoveryReloads = MetricFamily(
        name: "gitfleet_discovery_reloads_total",
        help: "Discovery publications (outputs written and reload command run), by result.",
        kind: .counter,
        labelNames: ["result"]
    )

    /// 1 while the last publication failed and rollouts wait for it, else 0.
    public static let discoveryFailing = MetricFamily(
        name: "gitfleet_discovery_failing",
        help: "1 while discovery outputs could not be published (rollouts wait), else 0.",
        kind: .gauge
    )

    /// Endpoints in the serving set as last published, per service.
    public static let discoveryEndpoints = MetricFamily(
        name: "gitfleet_discovery_endpoints",
        help: "Endpoints published by discovery, by service.",
        kind: .gauge,
        labelNames: ["service"]
    )

    /// The families discovery records; registered when a publisher is made.
    public static let discovery: [MetricFamily] = [.discoveryReloads, .discoveryFailing, .discoveryEndpoints]
}
