import Foundation

/// The answer to `POST /api/v1/services/{name}/promote` and `…/abort`: the fields every operator action answers
/// with (`service`, `action`, `by`, `at`, `reason`, `message`), then where the rollout stands after it.
public struct GateReply: Codable, Hashable, Sendable {
    public var service: String
    /// `promote` or `abort`.
    public var action: String
    /// Who asked: the API token's name, or `anonymous`.
    public var by: String
    public var at: Date
    public var reason: String?
    /// What happened, in a sentence for a person.
    public var message: String
    /// The rollout's phase after the action, a `ServicePhase` raw value: `in-progress` after a promote,
    /// `rolling-back` (or `failed`) after an abort.
    public var phase: String
    /// The spec hash the rollout moves to (promote) or that was aborted (abort).
    public var specHash: String
    /// promote: the canary step the rollout moves on to, counted from 1.
    public var step: Int?
    /// abort: the last good spec hash being restored.
    public var restoring: String?

    public init(
        service: String, action: String, by: String, at: Date, reason: String?, message: String, phase: String,
        specHash: String, step: Int? = nil, restoring: String? = nil
    ) {
        self.service = service
        self.action = action
        self.by = by
        self.at = at
        self.reason = reason
        self.message = message
        self.phase = phase
        self.specHash = specHash
        self.step = step
        self.restoring = restoring
    }

    // `reason` is written as null when none was given, as the action contract shows it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(service, forKey: .service)
        try container.encode(action, forKey: .action)
        try container.encode(by, forKey: .by)
        try container.encode(at, forKey: .at)
        try container.encode(reason, forKey: .reason)
        try container.encode(message, forKey: .message)
        try container.encode(phase, forKey: .phase)
        try container.encode(specHash, forKey: .specHash)
        try container.encodeIfPresent(step, forKey: .step)
        try container.encodeIfPresent(restoring, forKey: .restoring)
    }
}

/// The optional body of an operator action: `{"reason": "…"}`. An absent or empty body means no reason.
public struct ActionRequest: Codable, Hashable, Sendable {
    /// At most ``maximumReasonLength`` characters.
    public var reason: String?

    public static let maximumReasonLength = 1_000

    public init(reason: String? = nil) {
        self.reason = reason
    }
}
