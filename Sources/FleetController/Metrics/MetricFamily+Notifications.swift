extension MetricFamily {
    /// Notifications finished, by `target` (its name: provider and repository or host) and `result`: `delivered`,
    /// `failed` (refused, or still failing after every try; dropped) or `overflow` (dropped from a full queue).
    public static let notifications = MetricFamily(
        name: "gitfleet_notifications_total",
        help: "Notifications (commit statuses, Slack, webhooks) finished, by target and result.",
        kind: .counter,
        labelNames: ["target", "result"]
    )

    /// Tries of a notification that failed (each retry counts), by `target`.
    public static let notificationFailures = MetricFamily(
        name: "gitfleet_notification_failures_total",
        help: "Failed tries to deliver a notification (each retry counts), by target.",
        kind: .counter,
        labelNames: ["target"]
    )

    /// The families the notifier records.
    public static let notificationFamilies: [MetricFamily] = [.notifications, .notificationFailures]
}
