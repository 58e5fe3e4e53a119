import Foundation

/// One thing an operator did to the fleet (suspend, resume, rollback, retry, …), as the note of the commit the
/// fleet was at records it: who, what, when, why and what came of it.
///
/// `action` is text rather than a closed set so that a note written by a newer controller, with an action this
/// one does not know, still reads.
public struct OperatorAction: Hashable, Sendable {
    /// `suspend`, `resume`, `rollback`, `retry`, …
    public var action: String
    /// The service acted on; nil for the whole fleet.
    public var service: String?
    public var by: String
    /// Stored to the whole second, like the note's own `at`.
    public var at: Date
    public var reason: String?
    /// What came of it, in a few words (`held at 3f2a9c1e`, `back to shop/web:1.4.2@sha256:…`).
    public var outcome: String?

    public init(
        action: String, service: String?, by: String, at: Date, reason: String? = nil, outcome: String? = nil
    ) {
        self.action = action
        self.service = service
        self.by = by
        self.at = Date(timeIntervalSince1970: at.timeIntervalSince1970.rounded(.down))
        self.reason = reason
        self.outcome = outcome
    }
}

extension StatusAnnotation {
    /// `actions` of `older` kept ahead of this note's own, each action once: how a note rewritten by the
    /// deployment tracker (which knows nothing of operators) keeps what operators did on that commit.
    public func keepingActions(of older: StatusAnnotation?, adding added: [OperatorAction] = []) -> StatusAnnotation {
        var merged = self
        var actions: [OperatorAction] = []
        for action in (older?.actions ?? []) + self.actions + added where !actions.contains(action) {
            actions.append(action)
        }
        merged.actions = actions
        return merged
    }
}
