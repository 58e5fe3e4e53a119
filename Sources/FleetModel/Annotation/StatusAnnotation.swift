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

    public var result: DeploymentResult
    public var fleet: String
    /// Which controller instance wrote the note.
    public var controller: String
    /// When the note was written; stored to the whole second.
    public var at: Date
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

    public init(
        result: DeploymentResult, fleet: String, controller: String, at: Date, revision: String,
        reason: String? = nil, errors: [String] = [], signature: Signature? = nil, rewrite: Rewrite? = nil,
        services: [String: ServiceStatus] = [:], actions: [OperatorAction] = []
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
    }
}
