/// The answer to an authentic webhook delivery.
public struct WebhookReply: Codable, Hashable, Sendable {
    public var provider: WebhookProvider
    /// `triggered` (202) or `ignored` (200).
    public var outcome: String
    public var ref: String?
    public var revision: String?
    public var message: String

    public init(
        provider: WebhookProvider, outcome: String, ref: String? = nil, revision: String? = nil, message: String
    ) {
        self.provider = provider
        self.outcome = outcome
        self.ref = ref
        self.revision = revision
        self.message = message
    }
}
