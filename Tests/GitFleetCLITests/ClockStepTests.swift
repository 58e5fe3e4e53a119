import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// The controller's wall clock is stepped an hour forwards, then an hour backwards (to the true time again), each in
/// the middle of a rollout, as an NTP step or an operator's `date -s` would; the machine's own clock is left alone
/// (``SteppedWallClock``: libfaketime in the serve process only, the monotonic clock untouched).
///
/// The step backwards starts ahead of the true time because libfaketime 0.9.10 moves absolute `timerfd` deadlines on
/// `CLOCK_BOOTTIME` by its offset even with `FAKETIME_DONT_FAKE_MONOTONIC` (seen with strace): behind the true time,
/// every sleep of the Swift runtime (Dispatch arms such timers) would wait the offset longer, which no real step does.
///
/// Deadlines (start timeouts, the progress deadline, `minReady`, drain delays) must measure time that passed,
/// not how far the wall clock moved: a step forwards must not fail healthy instances or roll back a rollout
/// that progresses, and a step backwards must not hold one for the hours it took away.
@Suite("gitfleet serve: the wall clock stepped forwards and backwards mid-rollout", .serialized)
struct ClockStepTests {
    @Test("A step forwards fails nothing and a step backwards stalls nothing; the invariants hold throughout")
    func stepsDuringRollouts() async throws {
        let clock = try SteppedWallClock()
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try ChaosRollout.prepare(fleet, remote: remote, progressDeadline: "20s")
        try await fleet.withServe(remote, environment: clock.environment) { serve in
            // An hour forwards: far past the progress deadline (20 s), the start timeout (10 s) and minReady (1 s).
            let forwards = try await ChaosRollout.start(
                fleet, remote: remote, from: v1, progressDeadline: "20s", serve: serve, records: fleet.records)
            let sampler = InvariantSampler(ChaosRollout.invariants, watching: fleet, converged: true)
            await sampler.start()
            try clock.step(by: 3600)
            let forwardsAt = ContinuousClock.now
            let first = await forwards.settled(timeout: .seconds(60))
            let forwardsTook = ContinuousClock.now - forwardsAt
            #expect(
                first?.contains("\nresult: converged") == true,
                "after a step forwards the rollout did not converge: \(first ?? "no note")\n\(serve.log)")
            let failed = try await fleet.records().filter { $0.revision == forwards.to && !$0.state.isLive }
            #expect(failed.isEmpty, "healthy instances failed by the step forwards: \(failed)")

            // An hour backwards: the wall clock is the machine's again.
            let backwards = try await ChaosRollout.start(
                fleet, remote: remote, from: forwards.to, image: "demo/web:1.0.0", progressDeadline: "20s",
                serve: serve, records: fleet.records)
            try clock.step(by: -3600)
            let (backwardsTook, report) = await backwards.expectRecovery(
                sampler, after: "a step backwards", serve: serve)
            print(
                "clock steps: +1 h mid-rollout, converged \(forwardsTook) later; -1 h mid-rollout, converged"
                    + " \(backwardsTook) later; \(report)")
            try await backwards.expectConverged(fleet)
        }
    }
}
