import FleetModel

extension AgentReport {
    /// Whether `name` may name an agent (`POST /api/v1/agents/{name}`, `requiredAgents`, the token that posts for
    /// it): letters, digits, `.`, `_` and `-`, at most 63, not starting with `.`. It is written into events,
    /// metric labels and readiness lines.
    public static func isValidName(_ name: String) -> Bool {
        PortableName.isValid(name, maxLength: 63)
    }
}
