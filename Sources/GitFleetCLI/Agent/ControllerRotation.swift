/// Which controller replica a discovery agent follows, and how long it waits before asking the next one after a
/// failure: a pure decision, so its order and back-off are tested without a network.
///
/// Replicas are tried in the order given, wrapping around. The delay after a failure is `backOff` while the
/// first round of replicas fails (a standby answers soon after the leader died) and doubles with every further
/// round, up to `maximum`; one answer resets it.
struct ControllerRotation: Sendable, Hashable {
    let controllers: [String]
    let backOff: Duration
    let maximum: Duration
    private(set) var position = 0
    /// Failures since the last answer.
    private(set) var failures = 0

    init(controllers: [String], backOff: Duration, maximum: Duration) {
        precondition(!controllers.isEmpty, "an agent follows at least one controller")
        self.controllers = controllers
        self.backOff = backOff
        self.maximum = maximum
    }

    /// The controller to ask now.
    var current: String { controllers[position] }

    /// The current controller failed: moves to the next and answers how long to wait before asking it.
    mutating func failed() -> Duration {
        failures += 1
        position = (position + 1) % controllers.count
        let rounds = (failures - 1) / controllers.count
        return min(backOff * Double(1 << min(rounds, 10)), maximum)
    }

    /// Follows `controller` from now on (the replica found leading while the current one stands by).
    mutating func follow(_ controller: String) {
        guard let index = controllers.firstIndex(of: controller) else { return }
        position = index
        failures = 0
    }

    /// The current controller answered; whether that ends a run of failures (the agent then says whom it follows).
    mutating func succeeded() -> Bool {
        defer { failures = 0 }
        return failures > 0
    }
}
