import FleetController
import Foundation

/// The discovery agents this replica has heard of, served by `GET /api/v1/agents` (docs/http-api.md, "Agents").
///
/// Field names are part of the HTTP API: add fields, never rename or remove one. Optional fields are omitted
/// when unknown, as everywhere in the API.
public struct AgentsDocument: Codable, Hashable, Sendable {
    /// The entity tag of the serving set the leader last published (the `index` of `GET /api/v1/discovery`);
    /// omitted on a standby, which publishes nothing.
    public var published: String?
    /// `agentTimeout`: an agent with no report for that long is `silent`.
    public var timeout: String
    /// Every required agent and every agent heard of within ten timeouts, sorted by name.
    public var agents: [AgentDocument]

    public init(published: String?, timeout: Duration, agents: [AgentDocument]) {
        self.published = published
        self.timeout = timeout.manifestDescription
        self.agents = agents
    }
}

/// One agent in `AgentsDocument.agents` (and, without `output`, in `StatusDocument.agents`): its state and what
/// its latest report said.
public struct AgentDocument: Codable, Hashable, Sendable {
    public var name: String
    /// Whether `requiredAgents` names it: drains and switches wait for it.
    public var required: Bool
    /// An ``AgentState`` raw value: `current`, `behind`, `failing`, `silent` or `unknown`.
    public var state: String
    /// The entity tag its outputs show and its reload confirmed.
    public var index: String?
    /// Why its latest publication failed, while it does.
    public var problem: String?
    /// The reload command's output of the failed attempt.
    public var output: String?
    /// The controller replica it follows.
    public var following: String?
    public var version: String?
    /// When this replica received its latest report.
    public var lastSeenAt: Date?

    public init(_ entry: AgentRoster.Entry) {
        name = entry.name
        required = entry.required
        state = entry.state.rawValue
        index = entry.report?.index
        problem = entry.report?.problem
        output = entry.report?.output
        following = entry.report?.following
        version = entry.report?.version
        lastSeenAt = entry.lastSeenAt
    }
}
