import FleetModel
import Foundation
import GitFleetTesting
import Testing

/// The Git remote's next commit arrives broken while a rollout runs: the blob of its manifest is missing from the
/// remote's object store, or stored under its id with other content (a well-formed object that does not hash to
/// its name). The rollout under way must finish, the broken commit must change nothing in the fleet, the failure
/// must be reported, and the commit must deploy once the remote holds the object again. The remote that hangs
/// (accepts, never answers) mid-rollout is ``HangingRemoteTests/rolloutFinishesWhileTheRemoteHangs()``.
@Suite("Chaos: a broken object on the Git remote mid-rollout", .serialized)
struct BrokenRemoteChaosTests {
    enum Damage: String, CaseIterable, Sendable {
        /// The loose object file is gone.
        case missing
        /// The file holds a valid object of other content (a manifest for another image).
        case substituted
    }

    @Test(
        "A commit with a broken object never changes the fleet; it deploys once the object is whole",
        arguments: Damage.allCases)
    func brokenObjectMidRollout(_ damage: Damage) async throws {
        let label = "broken remote (\(damage.rawValue) blob)"
        try await ChaosStage.run(label) { stage in
            let fleet = stage.fleet
            let v2 = try stage.push("demo/web:slow")
            try await fleet.waitUntil("the first v2 instance serves", log: stage.serve) { records in
                records.contains { $0.revision == v2 && $0.state == .serving }
            }
            // The broken commit reaches main only once its blob is damaged, so no poll can fetch it whole first.
            let v3 = try fleet.commitWeb("demo/web:1.1.0", replicas: stage.invariants.replicas)
            try fleet.repository.git.push("origin", "\(v3):refs/heads/staging")
            let blob = try fleet.repository.git.git("rev-parse", "\(v3):services/web.yaml")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let object = stage.remote.path + "/objects/\(blob.prefix(2))/\(blob.dropFirst(2))"
            let whole = try #require(FileManager.default.contents(atPath: object), "the blob is not loose: \(object)")
            try FileManager.default.removeItem(atPath: object)
            if damage == .substituted { try Self.substitute(blob, at: object, in: stage.remote) }
            try stage.remote.git("update-ref", "refs/heads/main", v3)
            try stage.remote.git("update-ref", "-d", "refs/heads/staging")

            try await stage.waitUntilConverged(on: v2)
            let outage = try await OutageWindow.begin(fleet)
            var readiness = ""
            for _ in 0..<60 {
                readiness = try await stage.serve.request("GET", "/readyz").body
                if readiness.contains("git") && readiness.contains("fail") { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            print("\(label): readiness says \(readiness)")
            try await Task.sleep(for: .seconds(2))
            try await outage.expectNothingDestroyed(fleet, during: "the broken commit")
            let deployed = try await fleet.records().filter { $0.revision == v3 }
            #expect(deployed.isEmpty, "instances of the broken commit: \(deployed)")
            #expect(readiness.contains("git: fetch failing") && readiness.contains(blob), "\(readiness)")

            try? FileManager.default.removeItem(atPath: object)
            try whole.write(to: URL(fileURLWithPath: object))
            try await stage.waitUntilConverged(on: v3)
        }
    }

    /// Writes, at the path of `blob`'s loose object, a valid object of other content.
    private static func substitute(_ blob: String, at object: String, in remote: GitFixture) throws {
        let scratch = try GitFixture.createBare(at: remote.path + ".scratch")
        defer { try? FileManager.default.removeItem(atPath: scratch.path) }
        let other = remote.path + ".other.yaml"
        try FleetRepository.service("web", image: "demo/web:1.0.0", replicas: 1).write(
            toFile: other, atomically: true, encoding: .utf8)
        let id = try scratch.git("hash-object", "-w", other).trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(id != blob)
        try FileManager.default.copyItem(
            atPath: scratch.path + "/objects/\(id.prefix(2))/\(id.dropFirst(2))", toPath: object)
    }
}
