import Foundation

/// What a discovery agent (`gitfleet agent`, on a load-balancer host) tells the controller, in the body of
/// `POST /api/v1/agents/{name}`: the serving set its outputs show, confirmed by its reload command, and why the
/// latest one is not, while it fails.
///
/// The agent sends it after every publication it attempts and as a heartbeat in between, to every controller
/// replica it knows: each replica keeps the reports in memory, so a standby that becomes leader already knows
/// where every agent stands. Fields are added, never renamed or removed (agents and controllers of different
/// versions meet during an upgrade).
public struct AgentReport: Codable, Hashable, Sendable {
    /// The entity tag (`index` of `GET /api/v1/discovery`) of the serving set the agent's outputs show and its
    /// reload command confirmed; nil before its first confirmed publication.
    public var index: String?
    /// Why the latest publication failed (the outputs could not be written, or the reload command failed, with
    /// the first line of its output), while it does; nil when the outputs show the latest set it was given.
    public var problem: String?
    /// The reload command's output of the failed attempt, at most a few KiB, for the operator reading the
    /// agent's state on the controller.
    public var output: String?
    /// The base URL of the controller replica the agent follows now.
    public var following: String?
    /// The agent's version, e.g. `0.9.0`.
    public var version: String?

    public init(
        index: String?, problem: String? = nil, output: String? = nil, following: String? = nil,
        version: String? = nil
    ) {
        self.index = index
        self.problem = problem
        self.output = output
        self.following = following
        self.version = version
    }
}
