import Foundation

/// Who asked for an operator's control (suspend, rollback), when and why: what the registry keeps with the
/// control, the status shows beside it and the notes and events repeat.
public struct Attribution: Codable, Hashable, Sendable {
    /// The API token's name, `anonymous` without tokens, or `cli:<user>` for the CLI with the registry's own
    /// credentials.
    public var by: String
    public var at: Date
    /// The operator's words, when they gave any.
    public var reason: String?

    public init(by: String, at: Date, reason: String? = nil) {
        self.by = by
        self.at = at
        self.reason = reason
    }

    /// The most characters a reason may have: enough for a sentence or two and a ticket link, short enough for
    /// one line of a note.
    public static let maximumReasonLength = 1_000
}
