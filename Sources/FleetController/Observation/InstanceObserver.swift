import FleetRuntime
import Foundation
import Logging
import ServiceLifecycle

/// Watches a settled fleet between reconcile passes, so an instance that dies or turns unhealthy is taken
/// out of discovery and replaced at once rather than at the next resync.
///
/// Two watches run side by side, both over what the last pass left live (``Converger/watch(_:world:)``):
/// - **exits**: the runtime's ``Runtime/exits()`` stream (process exits, the Docker `/events` stream); an
///   instance the last pass left starting, ready or serving that stops asks for a pass;
/// - **probes**: each serving instance is probed at its checks' `interval`, sharing its streaks with the
///   passes; once it has failed its liveness check `unhealthyThreshold` times in a row, or its readiness check
///   started or stopped failing, it asks for a pass.
///
/// It never changes the fleet itself: the pass it asks for fails and quarantines the instance (journaled,
/// fenced, published to discovery) and creates its replacement, as for any other failure. An idle fleet
/// costs one probe per instance per interval and no pass; the resync stays as the safety net for drift
/// nobody announced.
///
/// The controller consumes ``passRequests``: every element means "reconcile now".
public final class InstanceObserver: Service, Sendable {
    /// Why a pass was asked for.
    public enum Change: Hashable, Sendable, CustomStringConvertible {
        case exited(InstanceExit)
        case unhealthy(instanceID: String)
        /// Its readiness check started or stopped failing: discovery leaves it out or takes it back.
        case readinessChanged(instanceID: String)

        public var description: String {
            switch self {
            case .exited(let exit):
                return "instance \(exit.instanceID) stopped (\(exit.status.map { "\($0)" } ?? "exited"))"
            case .unhealthy(let id):
                return "instance \(id) failed its health check too many times in a row"
            case .readinessChanged(let id):
                return "instance \(id) changed readiness"
            }
        }
    }

    let runtime: any Runtime
    let converger: Converger
    let logger: Logger
    /// The longest the probe watch sleeps, so a pass's new watch list is picked up soon after it is made.
    let idleWait: Duration
    /// Asks for passes; coalesced, so a burst of changes costs one pass, not one each.
    public let passRequests: AsyncStream<Change>
    let requests: AsyncStream<Change>.Continuation

    public init(
        runtime: any Runtime, converger: Converger, logger: Logger = Logger(label: "gitfleet.observer"),
        idleWait: Duration = .seconds(1)
    ) {
        self.runtime = runtime
        self.converger = converger
        self.logger = logger
        self.idleWait = idleWait
        (passRequests, requests) = AsyncStream.makeStream(of: Change.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func run() async throws {
        await converger.observerStarted()
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.watchExits() }
                group.addTask { await self.watchHealth() }
            }
        }
        requests.finish()
    }

    func watchExits() async {
        for await exit in runtime.exits() {
            guard await converger.isWatchedLive(exit.instanceID) else { continue }
            ask(.exited(exit))
        }
    }

    func watchHealth() async {
        while !Task.isCancelled {
            let (unhealthy, readinessChanged, nextDue) = await converger.probeWatched()
            for id in unhealthy { ask(.unhealthy(instanceID: id)) }
            for id in readinessChanged { ask(.readinessChanged(instanceID: id)) }
            let idleUntil = converger.clock.now.advanced(by: idleWait)
            try? await converger.clock.sleep(until: min(nextDue ?? idleUntil, idleUntil))
        }
    }

    func ask(_ change: Change) {
        logger.notice("\(change); reconciling now", metadata: ["instance": "\(change.instanceID)"])
        requests.yield(change)
    }
}

extension InstanceObserver.Change {
    var instanceID: String {
        switch self {
        case .exited(let exit): return exit.instanceID
        case .unhealthy(let id), .readinessChanged(let id): return id
        }
    }
}
