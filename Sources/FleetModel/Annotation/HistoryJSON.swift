import Foundation

/// `history --json` and `GET /api/v1/history`: one object per deployment, the commit (`commit`, `author`, `date`,
/// `message`) and every field of its status annotation, so a tool reads from it everything a note says
/// (docs/auditing.md lists the fields).
///
/// Here rather than in the CLI so the controller's API and `history --json` are one format: `history --server`
/// decodes the controller's answer with it and prints it as the local form would.
public enum HistoryJSON {
    public struct Entry: Codable, Hashable, Sendable {
        public var commit: String
        public var author: String
        public var date: Date
        public var message: String
        public var result: String?
        public var fleet: String?
        public var controller: String?
        /// When the note was written.
        public var at: Date?
        public var reason: String?
        public var errors: [String]?
        public var signature: Signature?
        public var rewrite: Rewrite?
        public var services: [String: Service]
        /// What operators did while the fleet was at the commit; left out when nothing.
        public var actions: [Action]?
        /// When the deployment began and when it settled (docs/auditing.md); left out when the note has none.
        public var started: Date?
        public var finished: Date?
        /// The previous note of the fleet's record, by commit and digest; left out on the first note.
        public var previous: Link?
    }

    /// A note's `previous`: the hash chain's link (docs/auditing.md).
    public struct Link: Codable, Hashable, Sendable {
        public var commit: String
        public var digest: String
    }

    /// One operator's action in a note's `actions` (docs/annotations.md).
    public struct Action: Codable, Hashable, Sendable {
        public var action: String
        public var service: String?
        public var by: String
        public var at: Date
        public var reason: String?
        public var outcome: String?

        public init(_ action: OperatorAction) {
            self.action = action.action
            service = action.service
            by = action.by
            at = action.at
            reason = action.reason
            outcome = action.outcome
        }

        /// The action as the note holds it.
        public var operatorAction: OperatorAction {
            OperatorAction(action: action, service: service, by: by, at: at, reason: reason, outcome: outcome)
        }
    }

    public struct Signature: Codable, Hashable, Sendable {
        public var method: String
        public var signer: String?
    }

    public struct Rewrite: Codable, Hashable, Sendable {
        public var from: String
        public var note: String
    }

    public struct Service: Codable, Hashable, Sendable {
        public var result: String
        public var from: String?
        public var to: String?
        public var created: Int
        public var destroyed: Int
        public var tookSeconds: Int64?
        public var reason: String?

        public init(_ status: ServiceStatus) {
            result = status.result.rawValue
            from = status.from
            to = status.to
            created = status.created
            destroyed = status.destroyed
            tookSeconds = status.took.map { $0.components.seconds }
            reason = status.reason
        }
    }

    /// The entries, with only `service`'s part of each annotation when one is given.
    public static func entries(_ entries: [DeploymentHistoryEntry], service: String?) -> [Entry] {
        entries.map { entry in
            let annotation = entry.annotation
            return Entry(
                commit: entry.commit, author: entry.author, date: entry.date, message: entry.summary,
                result: annotation?.result.rawValue, fleet: annotation?.fleet, controller: annotation?.controller,
                at: annotation?.at, reason: annotation?.reason,
                errors: annotation.flatMap { $0.errors.isEmpty ? nil : $0.errors },
                signature: annotation?.signature.map { Signature(method: $0.method, signer: $0.signer) },
                rewrite: annotation?.rewrite.map { Rewrite(from: $0.from, note: $0.note) },
                services: (annotation?.services ?? [:]).filter { service == nil || $0.key == service }
                    .mapValues(Service.init),
                actions: Self.actions(annotation, service: service), started: annotation?.started,
                finished: annotation?.finished,
                previous: annotation?.previous.map { Link(commit: $0.commit, digest: $0.digest) })
        }
    }

    /// The note's actions (only those on `service` and on the whole fleet when a service is given), or nil when
    /// none.
    public static func actions(_ annotation: StatusAnnotation?, service: String? = nil) -> [Action]? {
        let actions = (annotation?.actions ?? []).filter { service == nil || [nil, service].contains($0.service) }
        return actions.isEmpty ? nil : actions.map(Action.init)
    }

    public static func encode(_ entries: [DeploymentHistoryEntry], service: String?) throws -> Data {
        try encode(Self.entries(entries, service: service))
    }

    /// Pretty-printed with sorted keys, so the same entries always print the same bytes.
    public static func encode(_ entries: [Entry]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(entries) + Data("\n".utf8)
    }

    public static func decode(_ data: Data) throws -> [Entry] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode([Entry].self, from: data)
    }
}

extension DeploymentHistoryEntry {
    /// The entry an `Entry` describes, for printing an answer of the controller as `history` prints its own
    /// reading. Durations come back in whole seconds, which is what the controller writes.
    public init(_ entry: HistoryJSON.Entry) {
        var annotation: StatusAnnotation?
        if let result = entry.result.flatMap(DeploymentResult.init(rawValue:)) {
            annotation = StatusAnnotation(
                result: result, fleet: entry.fleet ?? "", controller: entry.controller ?? "",
                at: entry.at ?? entry.date, revision: entry.commit, reason: entry.reason, errors: entry.errors ?? [],
                signature: entry.signature.map { .init(method: $0.method, signer: $0.signer) },
                rewrite: entry.rewrite.map { .init(from: $0.from, note: $0.note) },
                services: entry.services.compactMapValues { service in
                    DeploymentResult(rawValue: service.result).map {
                        ServiceStatus(
                            result: $0, from: service.from, to: service.to, created: service.created,
                            destroyed: service.destroyed, took: service.tookSeconds.map { .seconds($0) },
                            reason: service.reason)
                    }
                }, actions: (entry.actions ?? []).map(\.operatorAction), started: entry.started,
                finished: entry.finished, previous: entry.previous.map { .init(commit: $0.commit, digest: $0.digest) })
        }
        self.init(
            commit: entry.commit, author: entry.author, date: entry.date, summary: entry.message,
            annotation: annotation)
    }
}
