import Foundation

/// Something the controller did that a person may want to see: one entry of the event stream that the log,
/// the metrics, `GET /api/v1/events`, the dashboard and notifications all read.
///
/// The JSON shape is a contract with those clients (docs/http-api.md lists every type and field): `id`,
/// `time`, `type` (kebab-case), `service`, `instance` and `commit` when they apply, `message` (a sentence for
/// a person), then the type's own fields at the top level. Events never carry secrets: messages are written
/// from names, hashes, images and reasons the controller already shows in its status, never from env values
/// or instance logs.
public struct FleetEvent: Sendable, Hashable, Codable, Identifiable {
    /// Every kind of event. Its raw value is the `type` clients see and the `type` label of
    /// `gitfleet_events_total`; the list in docs/http-api.md is pinned to it by a test.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case commitAdmitted = "commit-admitted"
        case commitRejected = "commit-rejected"
        /// An admitted commit's deployment began: every service now heads for it.
        case deploymentStarted = "deployment-started"
        /// An admitted commit's deployment ended: every service settled, or a newer commit superseded it.
        case deploymentFinished = "deployment-finished"
        case rolloutStarted = "rollout-started"
        case rolloutStep = "rollout-step"
        case rolloutConverged = "rollout-converged"
        case rolloutFailed = "rollout-failed"
        case rolloutRolledBack = "rollout-rolled-back"
        case rolloutSuperseded = "rollout-superseded"
        case rolloutRetried = "rollout-retried"
        /// A canary reached a gate step (`pause: {}`) and waits there for `promote` or `abort`.
        case rolloutPaused = "rollout-paused"
        /// An operator promoted a canary past the gate it waited at.
        case rolloutPromoted = "rollout-promoted"
        /// An operator aborted a rollout: its target is failed and the last good spec restored.
        case rolloutAborted = "rollout-aborted"
        case instanceCreated = "instance-created"
        case instanceServing = "instance-serving"
        case instanceDraining = "instance-draining"
        case instanceDestroyed = "instance-destroyed"
        case instanceQuarantined = "instance-quarantined"
        case driftFound = "drift-found"
        case discoveryPublished = "discovery-published"
        case discoveryFailing = "discovery-failing"
        /// A discovery agent reported a problem or fell silent; told once per episode.
        case agentFailing = "agent-failing"
        /// A discovery agent that was failing or silent reports again without a problem.
        case agentRecovered = "agent-recovered"
        case leadershipGained = "leadership-gained"
        case leadershipLost = "leadership-lost"
        /// A freeze window opened: no new rollout starts for the services it covers until it closes.
        case freezeWindowOpened = "freeze-window-opened"
        /// A freeze window closed: rollouts it held start.
        case freezeWindowClosed = "freeze-window-closed"
        /// An admitted commit's new spec for a service waits for a freeze window to close (or, `window:
        /// suspended`, for an operator to resume the service).
        case deploymentHeld = "deployment-held"
        /// An operator suspended a service (or, without one, the fleet): no new spec rolls out to it.
        case serviceSuspended = "service-suspended"
        /// An operator resumed a suspended service: what Git asks for rolls out now.
        case serviceResumed = "service-resumed"
        /// An operator rolled a service back to a good spec (`rollback SERVICE`), pinned until Git changes it.
        case servicePinned = "service-pinned"
        /// A commit changed a pinned service's desired spec: the pin is released and the new spec rolls out.
        case serviceUnpinned = "service-unpinned"
    }

    /// A type-specific field: text, a whole number or a flag, so clients read numbers as numbers.
    public enum Value: Sendable, Hashable, Codable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
        ExpressibleByBooleanLiteral, CustomStringConvertible
    {
        case text(String)
        case number(Int)
        case flag(Bool)

        public init(stringLiteral value: String) { self = .text(value) }
        public init(integerLiteral value: Int) { self = .number(value) }
        public init(booleanLiteral value: Bool) { self = .flag(value) }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                self = .flag(flag)
            } else if let number = try? container.decode(Int.self) {
                self = .number(number)
            } else {
                self = .text(try container.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .number(let number): try container.encode(number)
            case .flag(let flag): try container.encode(flag)
            }
        }

        public var description: String {
            switch self {
            case .text(let text): return text
            case .number(let number): return "\(number)"
            case .flag(let flag): return "\(flag)"
            }
        }
    }

    /// Increases by one per event, and across restarts too (see ``EventLog``), so `Last-Event-ID` resumes.
    public var id: UInt64
    public var time: Date
    public var type: Kind
    public var service: String?
    public var instance: String?
    /// The full commit id the event concerns (the commit admitted, or the revision a rollout or instance is of).
    public var commit: String?
    public var message: String
    /// The type's own fields (docs/http-api.md), encoded beside the common ones.
    public var fields: [String: Value]

    public init(
        id: UInt64, time: Date, type: Kind, service: String? = nil, instance: String? = nil, commit: String? = nil,
        message: String, fields: [String: Value] = [:]
    ) {
        self.id = id
        self.time = time
        self.type = type
        self.service = service
        self.instance = instance
        self.commit = commit
        self.message = message
        self.fields = fields.filter { !Self.commonKeys.contains($0.key) }
    }

    static let commonKeys: Set<String> = ["id", "time", "type", "service", "instance", "commit", "message"]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        id = try container.decode(UInt64.self, forKey: Key("id"))
        time = try container.decode(Date.self, forKey: Key("time"))
        type = try container.decode(Kind.self, forKey: Key("type"))
        service = try container.decodeIfPresent(String.self, forKey: Key("service"))
        instance = try container.decodeIfPresent(String.self, forKey: Key("instance"))
        commit = try container.decodeIfPresent(String.self, forKey: Key("commit"))
        message = try container.decode(String.self, forKey: Key("message"))
        var fields: [String: Value] = [:]
        for key in container.allKeys where !Self.commonKeys.contains(key.stringValue) {
            fields[key.stringValue] = try container.decode(Value.self, forKey: key)
        }
        self.fields = fields
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(id, forKey: Key("id"))
        try container.encode(time, forKey: Key("time"))
        try container.encode(type, forKey: Key("type"))
        try container.encodeIfPresent(service, forKey: Key("service"))
        try container.encodeIfPresent(instance, forKey: Key("instance"))
        try container.encodeIfPresent(commit, forKey: Key("commit"))
        try container.encode(message, forKey: Key("message"))
        for (key, value) in fields where !Self.commonKeys.contains(key) {
            try container.encode(value, forKey: Key(key))
        }
    }
}

extension FleetEvent {
    /// The encoder every consumer uses, so the ring, the stream and tests see one JSON shape: sorted keys,
    /// ISO 8601 times with milliseconds (two events of one pass are told apart).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
            if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an ISO 8601 time"))
        }
        return decoder
    }

    /// The event as one line of JSON.
    public var json: String {
        String(decoding: (try? Self.encoder().encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
