import FleetGit
import FleetModel
import FleetRuntime
import Foundation
import Logging
import ServiceLifecycle

/// A commit that passed admission: the fleet to converge to (images pinned to digests) and the evidence the
/// note records.
public struct AdmittedCommit: Sendable {
    public var detected: DetectedCommit
    public var fleet: Fleet
    public var verdict: SignatureVerdict?
    public var rewrite: StatusAnnotation.Rewrite?

    public var commit: CommitID { detected.commit }

    public init(
        detected: DetectedCommit, fleet: Fleet, verdict: SignatureVerdict? = nil,
        rewrite: StatusAnnotation.Rewrite? = nil
    ) {
        self.detected = detected
        self.fleet = fleet
        self.verdict = verdict
        self.rewrite = rewrite
    }
}

/// A commit that did not pass admission, and why, in sentences for the note and the API.
public struct RejectedCommit: Sendable {
    public var detected: DetectedCommit
    public var reason: String
    /// One line per problem found (every manifest issue, file:line:column).
    public var errors: [String]
    public var rewrite: StatusAnnotation.Rewrite?

    public var commit: CommitID { detected.commit }
}

/// What admission decided.
public enum Admission: Sendable {
    case admitted(AdmittedCommit)
    case rejected(RejectedCommit)

    public var commit: CommitID {
        switch self {
        case .admitted(let admitted): return admitted.commit
        case .rejected(let rejected): return rejected.commit
        }
    }
}

/// Decides whether a detected commit may become the desired state: its history (a rewrite is recorded, and
/// refused when the policy says so), its signature (when signed commits are required), its manifests (every
/// issue at once) and its images (each pinned to a digest). A rejected commit changes nothing in the fleet.
///
/// The policy comes from the controller's configuration, never from the repository. Git is read on the
/// repository's thread; signature tools and image lookups run on their own. As a service, it judges each
/// commit the watcher detects and puts the verdict on ``results``.
public actor CommitAdmission: Service {
    public struct Policy: Sendable, Hashable {
        public var signatures: SignaturePolicy
        public var refuseHistoryRewrite: Bool

        public init(signatures: SignaturePolicy, refuseHistoryRewrite: Bool) {
            self.signatures = signatures
            self.refuseHistoryRewrite = refuseHistoryRewrite
        }
    }

    let repository: TrackedRepository
    let runtime: any Runtime
    let policy: Policy
    let metrics: FleetMetrics
    let logger: Logger
    let commits: AsyncStream<DetectedCommit>
    public nonisolated let results: AsyncStream<Admission>
    private nonisolated let output: AsyncStream<Admission>.Continuation
    /// The last commit that converged, against which a new head is checked for a history rewrite.
    private var lastDeployed: CommitID?

    public init(
        repository: TrackedRepository, runtime: any Runtime, policy: Policy, lastDeployed: CommitID?,
        commits: AsyncStream<DetectedCommit>, metrics: FleetMetrics, logger: Logger
    ) {
        self.metrics = metrics
        self.repository = repository
        self.runtime = runtime
        self.policy = policy
        self.lastDeployed = lastDeployed
        self.commits = commits
        self.logger = logger
        (results, output) = AsyncStream.makeStream(of: Admission.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func run() async throws {
        defer { output.finish() }
        await cancelWhenGracefulShutdown {
            for await detected in self.commits {
                // Abandoned rather than awaited on shutdown: reading the commit may wait behind a slow remote.
                guard let verdict = try? await abandoningOnCancel({ await self.admit(detected) }) else { return }
                self.output.yield(verdict)
            }
        }
    }

    /// Records that `commit` converged: the next head is checked against it.
    public func deployed(_ commit: CommitID) {
        lastDeployed = commit
    }

    public func admit(_ detected: DetectedCommit) async -> Admission {
        let commit = detected.commit
        var logger = self.logger
        for (key, value) in detected.logMetadata { logger[metadataKey: key] = value }
        func reject(_ reason: String, errors: [String] = [], rewrite: StatusAnnotation.Rewrite? = nil) -> Admission {
            .rejected(RejectedCommit(detected: detected, reason: reason, errors: errors, rewrite: rewrite))
        }
        var rewrite: StatusAnnotation.Rewrite? = nil
        if let last = lastDeployed, let note = try? await repository.historyRewriteNote(from: last, to: commit) {
            rewrite = StatusAnnotation.Rewrite(from: last.hex, note: note)
            logger.warning("\(note)", metadata: ["from": "\(last.hex)"])
            if policy.refuseHistoryRewrite {
                return reject(note + "; refused (refuseHistoryRewrite)", rewrite: rewrite)
            }
        }
        var verdict: SignatureVerdict? = nil
        if policy.signatures.required {
            let signature: CommitSignature?
            do {
                signature = try await repository.signature(of: commit)
            } catch {
                metrics.recordGitFailure(operation: "read", code: (error as? GitError)?.code.rawValue ?? "other")
                logger.error("reading the signature of \(commit.short) failed: \(error)")
                return reject("The signature of commit \(commit.short) cannot be read.", rewrite: rewrite)
            }
            let checked = await CommitVerifier(policy: policy.signatures).verify(commit, signature: signature)
            // The note gets the reason only; the tool's own words and local paths stay in this log.
            if let detail = checked.detail {
                logger.info("\(commit.short): signature check: \(detail)", metadata: ["trusted": "\(checked.trusted)"])
            }
            guard checked.trusted else { return reject(checked.reason, rewrite: rewrite) }
            verdict = checked
        }
        let fleet: Fleet
        do {
            fleet = try await repository.fleet(at: commit)
        } catch let error as ManifestError {
            return reject(
                "The manifests at \(commit.short) are not valid.", errors: error.issues.map(\.description),
                rewrite: rewrite)
        } catch {
            metrics.recordGitFailure(operation: "read", code: (error as? GitError)?.code.rawValue ?? "other")
            logger.error("reading the manifests at \(commit.short) failed: \(error)")
            let detail = (error as? GitError)?.message ?? "\(error)"
            return reject("The manifests at \(commit.short) cannot be read: \(detail)", rewrite: rewrite)
        }
        do {
            let pinned = try await ImagePinning.pin(fleet, with: runtime)
            return .admitted(AdmittedCommit(detected: detected, fleet: pinned, verdict: verdict, rewrite: rewrite))
        } catch let failure as ImagePinning.Failure {
            return reject(
                "The images of \(commit.short) cannot be pinned to digests.",
                errors: failure.services.keys.sorted().map { "\($0): \(failure.services[$0]!)" }, rewrite: rewrite)
        } catch {
            return reject("The images of \(commit.short) cannot be pinned to digests: \(error)", rewrite: rewrite)
        }
    }
}
