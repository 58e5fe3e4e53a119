extension MetricFamily {
    /// 1 while an agent's outputs show the serving set this replica serves, else 0.
    public static let agentCurrent = MetricFamily(
        name: "gitfleet_agent_current",
        help: "1 while the discovery agent's outputs show the published serving set, else 0.",
        kind: .gauge,
        labelNames: ["agent"]
    )

    /// 1 while an agent has sent no report within `agentTimeout`, else 0.
    public static let agentSilent = MetricFamily(
        name: "gitfleet_agent_silent",
        help: "1 while the discovery agent has not reported within agentTimeout, else 0.",
        kind: .gauge,
        labelNames: ["agent"]
    )

    /// 1 while an agent's latest report carries a problem, else 0.
    public static let agentFailing = MetricFamily(
        name: "gitfleet_agent_failing",
        help: "1 while the discovery agent's latest report says its outputs or reload fail, else 0.",
        kind: .gauge,
        labelNames: ["agent"]
    )

    /// Reports received, by agent.
    public static let agentReports = MetricFamily(
        name: "gitfleet_agent_reports_total",
        help: "Reports received from discovery agents, by agent.",
        kind: .counter,
        labelNames: ["agent"]
    )

    /// The required agents the current publication waits on.
    public static let discoveryWaitingAgents = MetricFamily(
        name: "gitfleet_discovery_waiting_agents",
        help: "Required discovery agents that have not confirmed the current publication (drains and switches wait).",
        kind: .gauge
    )

    /// The families of the agent roster; registered when one is made.
    public static let agents: [MetricFamily] = [
        .agentCurrent, .agentSilent, .agentFailing, .agentReports, .discoveryWaitingAgents,
    ]
}
