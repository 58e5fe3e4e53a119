import FleetController
import FleetGit
import FleetModel
import Foundation
import Testing

@Suite(
    "DeploymentTracker: a commit's deployment ends with the commit's result, once every service settled", .tags(.fast))
struct DeploymentTrackerTests {
    static func commit(_ digit: Character) -> CommitID { CommitID(hex: String(repeating: digit, count: 40))! }

    static func admitted(_ digit: Character, _ services: [String]) -> AdmittedCommit {
        AdmittedCommit(
            detected: DetectedCommit(commit: commit(digit), trigger: .poll),
            fleet: Fleet(
                name: "shop",
                services: services.map { ServiceSpec(name: $0, image: ImageReference(repository: "demo/\($0)")) }))
    }

    /// A pass's report on `admitted`'s services, in these phases.
    static func report(_ admitted: AdmittedCommit, _ phases: [String: ServiceConvergence.Phase])
        -> [ServiceConvergence]
    {
        admitted.fleet.services.map { spec in
            var service = ServiceConvergence(service: spec.name, phase: phases[spec.name] ?? .progressing, replicas: 1)
            service.targetSpecHash = SpecHash(spec)
            return service
        }
    }

    @Test("a commit that changes no service converges on its first pass, and so does a fleet without services")
    func unchanged() throws {
        for services in [["web"], []] {
            var tracker = DeploymentTracker(controllerID: "gitfleet-test")
            let admitted = Self.admitted("a", services)
            _ = tracker.begin(admitted, liveImages: services.isEmpty ? [:] : ["web": "demo/web"])
            let (notes, finished) = tracker.progress(Self.report(admitted, ["web": .converged]))
            #expect(finished?.result == .converged, "\(services)")
            let note = try #require(notes.last)
            #expect(note.annotation.result == .converged)
            #expect(tracker.deployment == nil)
            let (message, fields) = note.annotation.deploymentFinished()
            #expect(fields["result"] == .text("converged"))
            #expect(fields["services"] == .text(services.map { "\($0)=converged" }.joined(separator: " ")))
            #expect(message == "aaaaaaaaaaaa converged (\(services.count) services)")
        }
    }

    @Test("a service a freeze window holds keeps the deployment open; its note says which window and until when")
    func heldByFreezeWindow() throws {
        var tracker = DeploymentTracker(controllerID: "gitfleet-test")
        let admitted = Self.admitted("a", ["api", "web"])
        _ = tracker.begin(admitted, liveImages: ["api": "demo/api", "web": "demo/web"])
        let hold = FreezeHold(
            window: "weekend (no deploys)", until: try Date("2026-11-30T09:00:00Z", strategy: .iso8601))
        var report = Self.report(admitted, ["api": .converged, "web": .held(hold)])
        // The held service's report names the spec it stays at, not the commit's.
        report[1].targetSpecHash = SpecHash(
            ServiceSpec(name: "web", image: ImageReference(repository: "demo/web", tag: "old")))
        let (notes, finished) = tracker.progress(report)
        #expect(finished == nil, "the held service has not settled")
        let note = try #require(notes.last)
        #expect(note.annotation.result == .inProgress)
        #expect(note.annotation.reason == "web: waiting: freeze window weekend (no deploys) until 2026-11-30T09:00:00Z")
        #expect(
            note.annotation.services["web"]?.reason
                == "waiting: freeze window weekend (no deploys) until 2026-11-30T09:00:00Z")
        #expect(note.annotation.services["web"]?.result == DeploymentResult.inProgress)
        #expect(report[1].phase.name == ServicePhase.waiting)

        let after = tracker.progress(Self.report(admitted, ["api": .converged, "web": .converged]))
        #expect(after.finished?.result == .converged, "once the window closed and web rolled")
    }

    @Test("with two services the deployment ends when both settled, with the result of the one that rolled back")
    func twoServices() throws {
        var tracker = DeploymentTracker(controllerID: "gitfleet-test")
        let admitted = Self.admitted("a", ["api", "web"])
        _ = tracker.begin(admitted, liveImages: [:])
        let first = tracker.progress(Self.report(admitted, ["api": .converged, "web": .progressing]))
        #expect(first.finished == nil, "web has not settled")
        var second = Self.report(admitted, ["api": .converged, "web": .rolledBack(reason: "unhealthy")])
        // A rolled-back service's report names the spec it restored, not the commit's.
        second[1].targetSpecHash = SpecHash(
            ServiceSpec(name: "web", image: ImageReference(repository: "demo/web", tag: "last-good")))
        let (notes, finished) = tracker.progress(second)
        #expect(finished?.result == .rolledBack)
        let note = try #require(notes.last)
        #expect(note.annotation.services["web"]?.result == .rolledBack, "the note says what happened to web")
        let (message, fields) = note.annotation.deploymentFinished()
        #expect(fields["result"] == .text("rolled-back"))
        #expect(fields["services"] == .text("api=converged web=rolled-back"))
        #expect(fields["reason"] == .text("web: unhealthy"))
        #expect(message == "aaaaaaaaaaaa rolled back: web: unhealthy")
    }

    @Test("a newer commit supersedes the deployment in flight; its note and event say by which")
    func superseded() throws {
        var tracker = DeploymentTracker(controllerID: "gitfleet-test")
        _ = tracker.begin(Self.admitted("a", ["web"]), liveImages: [:])
        let notes = tracker.begin(Self.admitted("b", ["web"]), liveImages: [:])
        let note = try #require(notes.first { $0.commit == Self.commit("a") })
        #expect(note.annotation.result == .superseded)
        let (message, fields) = note.annotation.deploymentFinished(supersededBy: Self.commit("b"))
        #expect(fields["result"] == .text("superseded"))
        #expect(fields["by"] == .text(Self.commit("b").hex))
        #expect(message == "aaaaaaaaaaaa superseded by bbbbbbbbbbbb before it settled")
        #expect(tracker.deployment?.commit == Self.commit("b"))
    }
}
