import FleetGit
import FleetModel
import FleetRuntime
import Foundation

extension ControllerService {
    /// Looks for a new head and adopts it. Returns whether the desired state changed.
    func poll() async -> Bool {
        let head: CommitID
        gitWaitingSince = ContinuousClock.now
        defer { gitWaitingSince = nil }
        do {
            guard let found = try await newHead() else {
                gitFailures = 0
                gitProblem = nil
                return false
            }
            head = found
            gitFailures = 0
            gitProblem = nil
        } catch {
            gitFailures += 1
            gitProblem = "\(error)"
            metrics.recordGitFailure(
                operation: "fetch", code: (error as? GitError).map { "\($0.code)" } ?? "other")
            logger.error("git: \(error) (attempt \(gitFailures); the fleet stays as it is)")
            return false
        }
        lastSeenHead = head
        return await adopt(head)
    }

    /// The branch's head when it differs from the last one seen, else nil. A remote is asked for its
    /// head first and fetched only when that moved.
    func newHead() async throws -> CommitID? {
        let handed = GitThread.Handed(try await openRepository())
        let configuration = configuration
        let lastSeen = lastSeenHead
        let (head, fetchDuration) = try await GitThread.run { () throws -> (CommitID?, Duration?) in
            let repository = handed.value
            var fetchDuration: Duration? = nil
            if configuration.isRemote {
                let remoteHead = try GitRemoteHead.lookup(
                    url: configuration.repository, branch: configuration.branch,
                    credentials: configuration.credentials)
                if let remoteHead, remoteHead == lastSeen { return (nil, nil) }
                let started = ContinuousClock.now
                try repository.fetch()
                fetchDuration = ContinuousClock.now - started
            }
            let head = try repository.resolve(configuration.branch)
            return (head == lastSeen ? nil : head, fetchDuration)
        }
        if let fetchDuration { metrics.recordGitFetch(duration: fetchDuration) }
        return head
    }

    func openRepository() async throws -> GitRepository {
        if let repository { return repository }
        let configuration = configuration
        let opened = try await GitThread.run {
            if configuration.isRemote {
                let cache = configuration.cacheDirectory ?? "\(configuration.resolvedStateDirectory)/repositories"
                return GitThread.Handed(
                    try GitRepository.openOrClone(
                        url: configuration.repository, cacheRoot: cache, credentials: configuration.credentials))
            }
            return GitThread.Handed(
                try GitRepository.open(at: configuration.repository, credentials: configuration.credentials))
        }
        .value
        repository = opened
        source = DesiredStateSource(repository: opened, layout: configuration.layout)
        return opened
    }

    /// Checks `commit` (history, signature, manifests, images) and makes it the desired state, or
    /// rejects it with a note that says why; a rejected commit changes nothing in the fleet.
    func adopt(_ commit: CommitID) async -> Bool {
        guard let repository, let source else { return false }
        var rewrite: StatusAnnotation.Rewrite? = nil
        if let last = lastDeployed, let note = try? repository.historyRewriteNote(from: last, to: commit) {
            rewrite = StatusAnnotation.Rewrite(from: last.hex, note: note)
            logger.warning("\(note)")
            if configuration.refuseHistoryRewrite {
                await reject(commit, reason: note + "; refused (refuseHistoryRewrite)", rewrite: rewrite)
                return false
            }
        }
        var verdict: SignatureVerdict? = nil
        if configuration.requireSignedCommits {
            let signature: CommitSignature?
            do {
                signature = try repository.signature(of: commit)
            } catch {
                await reject(commit, reason: "the commit's signature cannot be read: \(error)", rewrite: rewrite)
                return false
            }
            let checked = await CommitVerifier(policy: signaturePolicy).verify(commit, signature: signature)
            // The note gets the reason only; the tool's own words and local paths stay in this log.
            if let detail = checked.detail { logger.info("\(commit.short): signature check: \(detail)") }
            guard checked.trusted else {
                await reject(commit, reason: checked.reason, rewrite: rewrite)
                return false
            }
            verdict = checked
        }
        let fleet: Fleet
        do {
            fleet = try source.fleet(at: commit)
        } catch let error as ManifestError {
            await reject(
                commit, reason: "the manifests at \(commit.short) are not valid",
                errors: error.issues.map(\.description))
            return false
        } catch {
            await reject(commit, reason: "the manifests at \(commit.short) cannot be read: \(error)")
            return false
        }
        let pinned: Fleet
        do {
            pinned = try await ImagePinning.pin(fleet, with: runtime)
        } catch {
            await reject(commit, reason: "images cannot be pinned to digests:\n\(error)")
            return false
        }
        if let previous = deployment, previous.commit != commit {
            await annotate(previous, result: .superseded, reason: "superseded by \(commit.hex) before it settled")
        }
        desired = pinned
        lastRejected = nil
        deployment = await Deployment(
            commit: commit, startedAt: Date(), fleet: pinned, from: liveImages(), counters: lastReport,
            verdict: verdict, rewrite: rewrite)
        logger.notice("deploying \(commit.short) (\(pinned.services.count) services)")
        await annotate(deployment!, result: .inProgress)
        return true
    }

    /// The most common image per service among live instances.
    func liveImages() async -> [String: String] {
        guard let records = try? await registry.instances(service: nil).map(\.record) else { return [:] }
        var counts: [String: [String: Int]] = [:]
        for record in records where record.state.isLive {
            counts[record.service, default: [:]][record.image, default: 0] += 1
        }
        return counts.mapValues { images in images.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key }
    }
}
