import Foundation

/// The status the controller records on a commit it acted on, as a git note under `refs/notes/gitfleet`.
///
/// The note is a small YAML document meant for two readers: people running `git log --notes=gitfleet`, and
/// tools (`gitfleet history`). ``yaml()`` writes it with a fixed key order and safe quoting, and
/// ``init(yaml:)`` reads it back, ignoring keys it does not know so that notes written by a newer controller
/// still read.
public struct StatusAnnotation: Hashable, Sendable {
    /// The format version this code writes and reads (`gitfleet: v1`).
    public static let formatVersion = "v1"

    /// How the commit's signature was verified, when it was.
    public struct Signature: Hashable, Sendable {
        /// `ssh` or `gpg`.
        public var method: String
        /// The allowed_signers principal or the OpenPGP key fingerprint.
        public var signer: String?

        public init(method: String, signer: String?) {
            self.method = method
            self.signer = signer
        }
    }

    /// The tracked branch moved to a commit that does not descend from the last deployed one.
    public struct Rewrite: Hashable, Sendable {
        /// The last deployed commit.
        public var from: String
        public var note: String

        public init(from: String, note: String) {
            self.from = from
            self.note = note
        }
    }

    /// The note before this one in the record's hash chain (see ``ChainLink``); nil on the first note, and on
    /// notes written before the chain existed.
    public struct ChainLink: Hashable, Sendable {
        /// The full id of the commit the previous note annotates.
        public var commit: String
        /// `sha256:` and the hex SHA-256 of the previous note's whole text (signature included), as it stood when
        /// this note was written.
        public var digest: String

        public init(commit: String, digest: String) {
            self.commit = commit
            self.digest = digest
        }
    }

    public var result: DeploymentResult
    public var fleet: String
    /// Which controller instance wrote the note.
    public var controller: String
    /// When the note was written; stored to the whole second.
    public var at: Date
    /// When the deployment began (deployments only; absent from rejections and older notes).
    public var started: Date?
    /// When every service had settled (absent while in progress, from rejections and from older notes).
    public var finished: Date?
    /// The full id of the annotated commit.
    public var revision: String
    /// Why the commit failed, was rolled back or was rejected; may span lines.
    public var reason: String?
    /// For a rejected commit: every validation error, one per entry (`file:line:column: message`).
    public var errors: [String]
    public var signature: Signature?
    public var rewrite: Rewrite?
    /// Per service, by name.
    public var services: [String: ServiceStatus]
    /// What operators did while the fleet was at this commit, oldest first. Absent from notes written before
    /// operator actions were recorded.
    public var actions: [OperatorAction]
    /// The link to the previous note of the fleet's record, set by the writer as it writes the note.
    public var previous: ChainLink?

    public init(
        result: DeploymentResult, fleet: String, controller: String, at: Date, revision: String,
        reason: String? = nil, errors: [String] = [], signature: Signature? = nil, rewrite: Rewrite? = nil,
        services: [String: ServiceStatus] = [:], actions: [OperatorAction] = [], started: Date? = nil,
        finished: Date? = nil, previous: ChainLink? = nil
    ) {
        self.result = result
        self.fleet = fleet
        self.controller = controller
        self.at = at
        self.revision = revision
        self.reason = reason
        self.errors = errors
        self.signature = signature
        self.rewrite = rewrite
        self.services = services
        self.actions = actions
        self.started = started.map(Self.wholeSecond)
        self.finished = finished.map(Self.wholeSecond)
        self.previous = previous
    }

    static func wholeSecond(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }
}
