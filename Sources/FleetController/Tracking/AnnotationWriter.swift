import FleetGit
import FleetModel
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Writes status annotations as git notes and gets them to the remote, apart from the reconcile loop.
///
/// ``enqueue(_:)`` returns at once: a rollout never waits for Git. Notes are coalesced per commit (only the
/// latest text of each is written), written to the local notes ref as soon as the Git thread is free, and the
/// notes ref is then pushed (merged with other writers', never forced). A push that fails is retried with
/// back-off (1 s doubling up to a minute) until the remote has every note; the first thing a new writer does
/// is push, so a note written locally before a restart or a crash still reaches the remote. While pushes
/// fail, readiness says so and `gitfleet_notes_unpushed` counts the commits the remote lacks.
///
/// Every note is linked into the record's hash chain (``RecordChain``) and, with a ``NoteSigner``, signed; see
/// AnnotationWriter+Chain.swift.
public actor AnnotationWriter: Service {
    let repository: TrackedRepository
    let notesRef: String
    /// Whether notes go to the remote (the repository is remote and `pushNotes` is on).
    let pushes: Bool
    let author: String
    /// Signs each note; nil writes them unsigned (no `noteSigningKey`).
    let signer: NoteSigner?
    let metrics: FleetMetrics
    let logger: Logger
    /// The record's chain, first note to last, as of ``chainTip``; nil until read (AnnotationWriter+Chain.swift).
    var chain: [CommitID]?
    /// The notes commit the local ref pointed at after this writer's last write: another tip means notes came
    /// from elsewhere (merged from the remote), and the chain is read again.
    var chainTip: CommitID?

    private nonisolated let queue = NIOLockedValueBox(Queue())
    private nonisolated let wake = WakeSignal()
    /// Commits whose notes are written locally but not pushed yet.
    private var unpushed: Set<CommitID> = []
    /// Whether the local ref may be ahead of the remote (true at start: a previous run may have left notes).
    private var pushNeeded: Bool
    private var pushFailures = 0
    private var failing: (since: Date, message: String)?
    private var nextPush = ContinuousClock.now

    public init(
        repository: TrackedRepository, notesRef: String, pushes: Bool, author: String, signer: NoteSigner? = nil,
        metrics: FleetMetrics, logger: Logger
    ) {
        self.repository = repository
        self.notesRef = notesRef
        self.pushes = pushes
        self.author = author
        self.signer = signer
        self.metrics = metrics
        self.logger = logger
        pushNeeded = pushes
    }

    /// Queues `note`; a later note for the same commit replaces one not yet written.
    public nonisolated func enqueue(_ note: NoteRequest) {
        queue.withLockedValue { $0.add(note) }
        wake.signal()
    }

    /// Queues `action` for the note of `commit`, beside what the note says already; returns at once.
    public nonisolated func record(_ action: OperatorAction, on commit: CommitID) {
        queue.withLockedValue { $0.add(action, on: commit) }
        wake.signal()
    }

    /// Why notes are not reaching the remote, while they are not.
    public func readinessProblems() -> [String] {
        guard let failing else { return [] }
        let duration = Duration.seconds(max(0, Date().timeIntervalSince(failing.since)))
        return [
            "git: notes push failing for \(RepositoryWatcher.rounded(duration)): \(failing.message) "
                + "(\(unpushed.count) commits' notes wait; retried with back-off)"
        ]
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await self.loop()
        } onGracefulShutdown: { [wake] in
            wake.signal()
        }
        await finish()
    }

    private func loop() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await writeQueued()
            if pushNeeded && ContinuousClock.now >= nextPush {
                await push()
            }
            let wait = pushNeeded ? max(ContinuousClock.now.duration(to: nextPush), .milliseconds(5)) : .seconds(60)
            await wake.wait(timeout: wait)
        }
    }

    /// On the way out: what is queued is written locally and one push is tried, abandoned after 3 s rather
    /// than holding up shutdown (what is not pushed goes out when the controller starts again).
    private func finish() async {
        let repository = repository
        let notes = queue.withLockedValue { $0.take() }
        let notesRef = notesRef
        // A push to a remote that is failing anyway would only hold shutdown up; the next start pushes.
        let push = pushes && (pushNeeded || !notes.isEmpty) && failing == nil
        await abandoning(after: .seconds(3)) {
            for note in notes {
                guard let annotation = try? await Self.annotation(of: note, in: repository, ref: notesRef) else {
                    continue
                }
                try? await self.writeLinked(annotation, on: note.commit)
            }
            if push { _ = try? await repository.pushNotes(ref: notesRef) }
        }
    }

    func signature() -> CommitInfo.Signature {
        CommitInfo.Signature(name: author, email: "\(author)@gitfleet.invalid", date: Date(), utcOffsetMinutes: 0)
    }

    private func writeQueued() async {
        let notes = queue.withLockedValue { $0.take() }
        for note in notes {
            do {
                guard let annotation = try await Self.annotation(of: note, in: repository, ref: notesRef) else {
                    logger.warning(
                        "\(note.actions.count) operator actions on \(note.commit.short) are not recorded: the commit has no status note to add them to",
                        metadata: ["commit": "\(note.commit.hex)"])
                    continue
                }
                try await writeLinked(annotation, on: note.commit)
                if pushes {
                    unpushed.insert(note.commit)
                    pushNeeded = true
                }
            } catch {
                metrics.recordGitFailure(
                    operation: "notes", code: (error as? GitError).map { $0.code.rawValue } ?? "other")
                logger.error(
                    "the status note on \(note.commit.short) could not be written locally: \(error)",
                    metadata: ["commit": "\(note.commit.hex)"])
            }
        }
        metrics.setNotesUnpushed(unpushed.count)
    }

    private func push() async {
        do {
            try await repository.pushNotes(ref: notesRef)
            if let failing {
                logger.notice(
                    "status notes reach the remote again after \(pushFailures) failed pushes (failing since \(failing.since))",
                    metadata: ["attempt": "\(pushFailures + 1)"])
            }
            pushNeeded = false
            pushFailures = 0
            failing = nil
            unpushed = []
        } catch {
            pushFailures += 1
            let message = (error as? GitError)?.message ?? "\(error)"
            failing = (failing?.since ?? Date(), message)
            metrics.recordGitFailure(
                operation: "notes", code: (error as? GitError).map { $0.code.rawValue } ?? "other")
            let delay = min(Duration.seconds(1) * (1 << min(pushFailures - 1, 6)), .seconds(60))
            nextPush = ContinuousClock.now.advanced(by: delay)
            let retry = delay.manifestDescription
            logger.warning(
                "status notes not pushed yet (\(unpushed.count) commits; written locally, retried in \(retry)): \(message)",
                metadata: ["attempt": "\(pushFailures)", "unpushed": "\(unpushed.count)"])
        }
        metrics.setNotesUnpushed(unpushed.count)
    }

    /// The annotation to write for `note`: its own (or, for actions alone, the note the commit has) with the
    /// actions the note has already, then the queued ones; `nil` when there is neither an annotation nor a note.
    /// A note that no longer parses is replaced by the new annotation, as it was before actions existed.
    private static func annotation(of note: Pending, in repository: TrackedRepository, ref: String) async throws
        -> StatusAnnotation?
    {
        let existing = try await repository.note(on: note.commit, ref: ref).flatMap {
            try? StatusAnnotation(yaml: $0)
        }
        guard let base = note.annotation ?? existing else { return nil }
        return base.keepingActions(of: existing, adding: note.actions)
    }

    /// A commit's latest annotation and the actions to add to its note.
    private struct Pending: Sendable {
        var commit: CommitID
        var annotation: StatusAnnotation?
        var actions: [OperatorAction] = []
    }

    /// Notes waiting to be written, the latest per commit (with every action queued for it), in the order their
    /// commits first came.
    private struct Queue: Sendable {
        var order: [CommitID] = []
        var latest: [CommitID: Pending] = [:]

        mutating func add(_ note: NoteRequest) {
            if latest[note.commit] == nil { order.append(note.commit) }
            latest[note.commit, default: Pending(commit: note.commit)].annotation = note.annotation
        }

        mutating func add(_ action: OperatorAction, on commit: CommitID) {
            if latest[commit] == nil { order.append(commit) }
            latest[commit, default: Pending(commit: commit)].actions.append(action)
        }

        mutating func take() -> [Pending] {
            defer { self = Queue() }
            return order.compactMap { latest[$0] }
        }
    }
}
