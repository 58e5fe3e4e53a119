/// Why the server asks the controller for a reconcile pass.
public enum TriggerReason: Hashable, Sendable, CustomStringConvertible {
    /// A verified webhook announced a push to the tracked branch.
    case webhook(WebhookPush)

    public var description: String {
        switch self {
        case .webhook(let push):
            let revision = push.revision.map { " (\($0))" } ?? ""
            return "\(push.provider.rawValue) webhook: push to \(push.ref)\(revision)"
        }
    }
}

/// A push announced by a verified webhook.
public struct WebhookPush: Hashable, Sendable {
    public var provider: WebhookProvider
    /// The full ref pushed, e.g. `refs/heads/main`.
    public var ref: String
    /// The commit the ref now points to, when the payload says (`after`); the controller fetches regardless, so
    /// this is for logs and for skipping a fetch that is already done.
    public var revision: String?
    /// The sender's delivery id (`X-GitHub-Delivery`, ...), for correlating logs with the sender's delivery log.
    public var deliveryID: String?

    public init(provider: WebhookProvider, ref: String, revision: String? = nil, deliveryID: String? = nil) {
        self.provider = provider
        self.ref = ref
        self.revision = revision
        self.deliveryID = deliveryID
    }
}
