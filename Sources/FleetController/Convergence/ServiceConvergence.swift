import FleetModel

/// Where one service stands after a reconcile pass, as the executor, the CLI's progress display and
/// the status annotations see it.
public struct ServiceConvergence: Hashable, Sendable {
    public enum Phase: Hashable, Sendable {
        /// Every instance runs the target spec and serves; nothing left to do.
        case converged
        /// Instances are being created, health-checked or retired.
        case progressing
        /// Waiting for the services it depends on to converge.
        case waiting(on: [String])
        /// The target failed; the last good spec is being restored (or already serves).
        case rollingBack(reason: String)
        /// The target failed and the last good spec is back at full capacity.
        case rolledBack(reason: String)
        /// The target failed and there is no last good spec to return to.
        case failed(reason: String)
        /// No longer in Git: its instances are being drained.
        case removing
        /// No longer in Git, and this pass destroyed the last of its instances. Reported by that one pass, so
        /// that the deployment that removed the service can record it; later passes no longer list it.
        case removed
        /// A freeze window holds its new spec back: it stays at (and is healed at) the spec it was at. Set by
        /// the reconcile loop, never by the converger, which is handed the spec it may roll to.
        case held(FreezeHold)
        /// A canary waits at a gate step for `gitfleet promote` (or `abort`), its instances serving at the gate's
        /// weight.
        case paused(CanaryGate)

        /// The phase's one spelling, shared by the API, the CLI, the notes and the metrics.
        public var name: ServicePhase {
            switch self {
            case .converged: return .converged
            case .progressing: return .inProgress
            case .waiting: return .waiting
            case .rollingBack: return .rollingBack
            case .rolledBack: return .rolledBack
            case .failed: return .failed
            case .removing: return .removing
            case .removed: return .removed
            case .held: return .waiting
            case .paused: return .paused
            }
        }

        /// Settled phases end an `apply`: nothing more will happen until something changes.
        public var isSettled: Bool { name.isSettled }

        /// The canary gate it waits at, if it does.
        public var gate: CanaryGate? {
            if case .paused(let gate) = self { return gate }
            return nil
        }

        public var failureReason: String? {
            switch self {
            case .rollingBack(let reason), .rolledBack(let reason), .failed(let reason): return reason
            default: return nil
            }
        }

        /// Why the service is not converged, when there is a reason to tell: its failure, the freeze window or
        /// the canary gate it waits for.
        public var reason: String? {
            if case .held(let hold) = self { return hold.description }
            if case .paused(let gate) = self {
                return "waiting at canary step \(gate.step) (weight \(gate.weight)%) for promote or abort"
            }
            return failureReason
        }
    }

    public var service: String
    public var phase: Phase
    /// Desired replicas of the target spec.
    public var replicas: Int
    /// Instances of the target spec that serve.
    public var ready: Int
    /// Instances of the target spec that are starting or not yet serving.
    public var starting: Int
    /// Instances of other specs still live (serving or draining).
    public var old: Int
    public var draining: Int
    /// Instances created and destroyed for this service since the converger was made.
    public var created: Int
    public var destroyed: Int
    public var fromImage: String?
    public var toImage: String?
    public var targetSpecHash: SpecHash?

    public init(service: String, phase: Phase, replicas: Int) {
        self.service = service
        self.phase = phase
        self.replicas = replicas
        ready = 0
        starting = 0
        old = 0
        draining = 0
        created = 0
        destroyed = 0
    }
}

extension ServiceConvergence.Phase {
    /// Whether a freeze window holds the service's new spec back.
    public var isHeld: Bool {
        if case .held = self { return true }
        return false
    }
}
