import FleetController
import FleetModel
import Foundation

/// `GET /api/v1/commits/{rev}`: what the controller made of one commit, read from its notes (docs/http-api.md).
/// `gitfleet wait` decodes it.
public struct CommitDocument: Codable, Hashable, Sendable {
    /// The commit asked about: its full id once the repository holds it, else the revision as asked.
    public var commit: String
    /// One of ``CommitOutcome/State``'s raw values.
    public var state: String
    /// The branch whose notes were read.
    public var trackedBranch: String
    /// The commit whose note decided `state`: `commit` itself, or the nearest descendant the controller noted.
    public var handledAs: String?
    /// When that note was written.
    public var at: Date?
    /// Why that commit failed, was rolled back or was rejected.
    public var reason: String?
    /// For a rejected commit, every validation error.
    public var errors: [String]?
    /// That note's per-service results, shaped as in `history --json`.
    public var services: [String: HistoryJSON.Service]?
    /// What operators did while the fleet was at that commit (that note's `actions`); left out when nothing.
    public var actions: [HistoryJSON.Action]?

    public init(_ outcome: CommitOutcome, trackedBranch: String) {
        commit = outcome.commit
        state = outcome.state.rawValue
        self.trackedBranch = trackedBranch
        handledAs = outcome.handledAs?.hex
        let annotation = outcome.annotation
        at = annotation?.at
        reason = annotation?.reason
        errors = annotation.flatMap { $0.errors.isEmpty ? nil : $0.errors }
        services = annotation.map { $0.services.mapValues(HistoryJSON.Service.init) }
        actions = HistoryJSON.actions(annotation)
    }
}
