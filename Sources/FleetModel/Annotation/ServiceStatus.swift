/// What happened to one service at the annotated commit.
public struct ServiceStatus: Hashable, Sendable {
    public var result: DeploymentResult
    /// The image (with digest) the service ran before, if it ran at all.
    public var from: String?
    /// The image (with digest) the commit asks for.
    public var to: String?
    /// Instances created and destroyed for this commit.
    public var created: Int
    public var destroyed: Int
    /// How long the service's rollout took, in whole milliseconds as written (`41s`, `1m30s`).
    public var took: Duration?
    /// Why the service failed or was rolled back.
    public var reason: String?

    public init(
        result: DeploymentResult, from: String? = nil, to: String? = nil, created: Int = 0, destroyed: Int = 0,
        took: Duration? = nil, reason: String? = nil
    ) {
        self.result = result
        self.from = from
        self.to = to
        self.created = created
        self.destroyed = destroyed
        self.took = took
        self.reason = reason
    }
}
