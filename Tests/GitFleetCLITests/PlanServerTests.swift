import FleetPlanner
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet plan against a running controller", .serialized)
struct PlanServerTests {
    @Test("From a clone with no state: the deployed commit plans as no changes, an env change and a moved tag do not")
    func planAgainstServe() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let deployed = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let note = await remote.waitForNote(on: deployed) { $0.contains("\nresult: converged") }
            try #require(note?.contains("\nresult: converged") == true, "\(serve.log)")
            let server = "http://127.0.0.1:\(try await serve.port())"

            let ciPath = fleet.repository.directory.appending("ci")
            _ = try fleet.repository.git.git("clone", "-q", remote.fileURL, ciPath)
            let ci = GitFixture.existing(at: ciPath, bare: false)
            func plan(_ extra: [String]) async throws -> BuiltProducts.Outcome {
                try await BuiltProducts.gitfleet(["plan", "--repo", ciPath, "--detailed-exitcode"] + extra, in: ciPath)
            }

            let unchanged = try await plan(["--server", server])
            #expect(unchanged.status == 0, "\(unchanged)")
            let lines = unchanged.standardOutput.split(separator: "\n")
            #expect(lines.first == "Live state: controller \(server) at \(deployed)", "\(unchanged)")
            #expect(unchanged.standardOutput.contains("No changes"), "\(unchanged)")

            // The exported document plans exactly as the controller's answer does.
            let status = try await BuiltProducts.gitfleet(["status", "--json", "--state-dir", fleet.stateDirectory])
            #expect(status.status == 0, "\(status)")
            let liveFile = fleet.repository.directory.appending("live.json")
            try Data(status.standardOutput.utf8).write(to: URL(fileURLWithPath: liveFile))
            let fromServer = try await plan(["--server", server, "--json"])
            let fromFile = try await plan(["--live", liveFile, "--json"])
            #expect(fromFile.status == 0, "\(fromFile)")
            #expect(fromFile.standardOutput == fromServer.standardOutput)
            #expect(fromFile.standardError.hasPrefix("Live state: file \(liveFile)"), "\(fromFile)")

            let manifest = FleetRepository.service("web", image: "demo/web:1.0.0", replicas: 2)
            try ci.write("services/web.yaml", manifest + "\n  env: {GREETING: hello}\n")
            _ = try ci.commit("web greets")
            let envChanged = try await plan(["--server", server])
            #expect(envChanged.status == 2, "\(envChanged)")
            #expect(envChanged.standardOutput.contains("-/+ web: replace"), "\(envChanged)")
            // The controller's applied spec lets the plan name the key that changed.
            #expect(envChanged.standardOutput.contains("+ GREETING: \"hello\""), "\(envChanged)")
            _ = try ci.git("reset", "-q", "--hard", "HEAD~1")

            // The tag moves to other content in an image store CI can read (a copy, so the controller
            // under test keeps its own).
            let ciState = fleet.repository.directory.appending("ci-state")
            try FileManager.default.createDirectory(atPath: ciState, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(fleet.stateDirectory)/images", toPath: "\(ciState)/images")
            let store = ImageStore(root: "\(ciState)/images")
            let old = try store.digest(repository: "demo/web", tag: "1.0.0")
            let tagDirectory = store.directory(repository: "demo/web", tag: "1.0.0")
            try FileManager.default.removeItem(atPath: tagDirectory)
            try FileManager.default.copyItem(
                atPath: store.directory(repository: "demo/web", tag: "2.0.0"), toPath: tagDirectory)
            let moved = try store.digest(repository: "demo/web", tag: "1.0.0")
            try #require(old != moved)
            let movedPlan = try await plan(["--server", server, "--state-dir", ciState])
            #expect(movedPlan.status == 2, "\(movedPlan)")
            #expect(movedPlan.standardOutput.contains(old), "\(movedPlan)")
            #expect(movedPlan.standardOutput.contains(moved), "\(movedPlan)")
        }
    }

    @Test("Without live state the plan says so on its first line and warns; a missing --state-dir is an error")
    func liveSourceIsAlwaysSaid() async throws {
        let repository = try FleetRepository()
        defer { repository.remove() }
        _ = try repository.commitExamples()
        let none = try await BuiltProducts.gitfleet(["plan", "--repo", repository.path], in: repository.directory.path)
        #expect(none.status == 0, "\(none)")
        #expect(none.standardOutput.hasPrefix("Live state: none — planning from nothing\n"), "\(none)")
        #expect(none.standardError.contains("warning: no live state"), "\(none)")

        let missing = repository.directory.appending("no-such-state")
        let misspelt = try await BuiltProducts.gitfleet(["plan", "--repo", repository.path, "--state-dir", missing])
        #expect(misspelt.status == 1, "\(misspelt)")
        #expect(misspelt.standardError.contains("--state-dir: no directory '\(missing)'"), "\(misspelt)")
    }
}
