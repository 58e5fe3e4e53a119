/// When a notification that failed is tried again: after 1 s, doubling to at most 60 s between tries, and not
/// after ``attempts`` tries in all, when it is dropped (and counted). A pure schedule, so its tests need no clock.
public struct NotificationRetry: Sendable, Hashable {
    /// Tries in all, the first included.
    public var attempts: Int
    public var first: Duration
    public var ceiling: Duration

    /// Eight tries over about two minutes: a forge's brief outage passes, a dead target is given up on.
    public init(attempts: Int = 8, first: Duration = .seconds(1), ceiling: Duration = .seconds(60)) {
        self.attempts = max(1, attempts)
        self.first = first
        self.ceiling = ceiling
    }

    /// The wait before try `attempt + 1` after try `attempt` (counted from 1) failed, or nil when no try is left.
    public func delay(after attempt: Int) -> Duration? {
        guard attempt < attempts else { return nil }
        var delay = first
        for _ in 1..<max(1, attempt) {
            delay = delay * 2
            if delay >= ceiling { return ceiling }
        }
        return min(delay, ceiling)
    }
}
