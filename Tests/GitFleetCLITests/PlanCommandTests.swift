import FleetModel
import FleetPlanner
import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet plan")
struct PlanCommandTests {
    @Test("A reader that went away (gitfleet plan | head) ends the command by SIGPIPE, quietly, never a crash")
    func closedStandardOutput() async throws {
        let repository = try FleetRepository()
        defer { repository.remove() }
        _ = try repository.commitExamples()
        for arguments in [["plan", "--repo", repository.path], ["plan", "--repo", repository.path, "--json"]] {
            let output = Pipe()
            try output.fileHandleForReading.close()
            let errors = Pipe()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try BuiltProducts.path(of: "gitfleet"))
            process.arguments = arguments
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            try output.fileHandleForWriting.close()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(
                process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGPIPE,
                "\(arguments): \(process.terminationReason.rawValue) \(process.terminationStatus)")
            #expect(!stderr.contains("Fatal error") && !stderr.contains("crashed"), "\(arguments): \(stderr)")
        }
    }

    @Test("Against an empty live state the example fleet has changes (exit 2); against a matching one, none (exit 0)")
    func detailedExitCodes() async throws {
        let repository = try FleetRepository()
        defer { repository.remove() }
        let commit = try repository.commitExamples()

        let empty = try await BuiltProducts.gitfleet(["plan", "--repo", repository.path, "--detailed-exitcode"])
        #expect(empty.status == 2, "\(empty)")
        #expect(empty.standardOutput.contains("+ api: create"), "\(empty)")
        #expect(empty.standardOutput.contains("Plan: 2 to create"), "\(empty)")

        // The JSON plan names the spec hash each service should run; a live state of exactly those matches.
        let json = try await BuiltProducts.gitfleet(["plan", "--repo", repository.path, "--json"])
        #expect(json.status == 0, "\(json)")
        let plan = try PlanDocument.decode(Data(json.standardOutput.utf8)).plan
        #expect(plan.revision == commit)
        #expect(plan.actions.map(\.kind) == [.create, .create])
        #expect(plan.actions.map(\.service) == ["api", "web"])
        #expect(plan.actions.map(\.create) == [2, 3])

        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let live = plan.actions.flatMap { action in
            (0..<action.create).map { index in
                InstanceRecord(
                    id: "\(action.service)-\(index)", service: action.service, specHash: action.toSpecHash!,
                    image: action.toImage!, state: .serving, address: "127.0.0.1", ports: ["http": 9000 + index],
                    createdAt: created)
            }
        }
        let liveFile = repository.directory.appending("live.json")
        try LiveStateFile.encode(live).write(to: URL(fileURLWithPath: liveFile))
        let matching = try await BuiltProducts.gitfleet([
            "plan", "--repo", repository.path, "--live", liveFile, "--detailed-exitcode",
        ])
        #expect(matching.status == 0, "\(matching)")
        #expect(matching.standardOutput.contains("No changes"), "\(matching)")

        // One instance fewer: a scale-up, and the same action in text and JSON.
        try LiveStateFile.encode(Array(live.dropLast())).write(to: URL(fileURLWithPath: liveFile))
        let short = try await BuiltProducts.gitfleet([
            "plan", "--repo", repository.path, "--live", liveFile, "--detailed-exitcode",
        ])
        #expect(short.status == 2, "\(short)")
        #expect(short.standardOutput.contains("~ web: scale up"), "\(short)")
        let shortJSON = try await BuiltProducts.gitfleet([
            "plan", "--repo", repository.path, "--live", liveFile, "--json",
        ])
        let shortPlan = try PlanDocument.decode(Data(shortJSON.standardOutput.utf8)).plan
        #expect(shortPlan.actions.map(\.kind) == [.unchanged, .scaleUp])
    }

    @Test("A changed image shows as a replacement from the old image to the new one")
    func replacement() async throws {
        let repository = try FleetRepository()
        defer { repository.remove() }
        try repository.git.write("services/web.yaml", FleetRepository.service("web", image: "demo/web:1.0.0"))
        _ = try repository.git.commit("web 1.0.0")
        let json = try await BuiltProducts.gitfleet(["plan", "--repo", repository.path, "--json"])
        let v1 = try PlanDocument.decode(Data(json.standardOutput.utf8)).plan.actions[0]
        let live = (0..<3).map {
            InstanceRecord(
                id: "web-\($0)", service: "web", specHash: v1.toSpecHash!, image: v1.toImage!, state: .serving,
                createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        }
        let liveFile = repository.directory.appending("live.json")
        try LiveStateFile.encode(live).write(to: URL(fileURLWithPath: liveFile))

        try repository.git.write("services/web.yaml", FleetRepository.service("web", image: "demo/web:1.1.0"))
        _ = try repository.git.commit("web 1.1.0")
        let outcome = try await BuiltProducts.gitfleet(["plan", "--repo", repository.path, "--live", liveFile])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.standardOutput.contains("-/+ web: replace"), "\(outcome)")
        #expect(outcome.standardOutput.contains("demo/web:1.0.0 → demo/web:1.1.0"), "\(outcome)")
    }

    @Test("A live-state file with a mistake is an error naming the record and field")
    func badLiveFile() async throws {
        let repository = try FleetRepository()
        defer { repository.remove() }
        _ = try repository.commitExamples()
        let liveFile = repository.directory.appending("live.json")
        try Data(#"[{"id": "x", "service": "web", "state": "runing"}]"#.utf8).write(to: URL(fileURLWithPath: liveFile))
        let outcome = try await BuiltProducts.gitfleet(["plan", "--repo", repository.path, "--live", liveFile])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.standardError.contains("[0]"), "\(outcome)")
    }

    @Test("A remote repository is cloned over file:// and planned at a branch")
    func remoteRepository() async throws {
        let repository = try FleetRepository()
        defer { repository.remove() }
        _ = try repository.commitExamples()
        let remote = try GitFixture.createBare(at: repository.directory.appending("remote.git"))
        try repository.git.addRemote("origin", url: remote.fileURL)
        try repository.git.push("origin", "main")
        let outcome = try await BuiltProducts.gitfleet(
            [
                "plan", "--repo", remote.fileURL, "--rev", "main", "--cache-dir",
                repository.directory.appending("cache"), "--detailed-exitcode",
            ], in: repository.directory.path)
        #expect(outcome.status == 2, "\(outcome)")
        #expect(outcome.standardOutput.contains("+ web: create"), "\(outcome)")
    }
}

@Suite("Every strategy is carried out as written")
struct StrategyWarningTests {
    @Test("plan no longer warns that blueGreen rolls out as rolling")
    func warnsOfSubstitution() async throws {
        let repository = try FleetRepository()
        defer { repository.remove() }
        try repository.git.write(
            "services/web.yaml",
            FleetRepository.service("web", image: "demo/web:1.0.0").replacingOccurrences(
                of: "rollout: {", with: "rollout: {strategy: blueGreen, "))
        _ = try repository.git.commit("web, blue-green")
        let outcome = try await BuiltProducts.gitfleet(["plan", "--repo", repository.path])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(!outcome.standardError.contains("not implemented"), "\(outcome)")
    }
}

@Suite("gitfleet plan names what a replacement changes", .serialized)
struct PlanFieldDiffTests {
    @Test("After an apply, a commit that changes an env value plans as a replacement naming that key, old → new")
    func changedEnvKeyIsNamed() async throws {
        let fleet = try EmbeddedFleet()
        do {
            try await changedEnvKeyIsNamed(fleet)
        } catch {
            await fleet.tearDown()
            throw error
        }
        await fleet.tearDown()
    }

    private func changedEnvKeyIsNamed(_ fleet: EmbeddedFleet) async throws {
        let manifest = FleetRepository.service("web", image: "demo/web:1.0.0", replicas: 1)
        try fleet.repository.git.write("services/web.yaml", manifest + "\n  env: {GREETING: hello}\n")
        _ = try fleet.repository.git.commit("web greets hello")
        let applied = try await fleet.apply()
        #expect(applied.status == 0, "\(applied)")

        try fleet.repository.git.write("services/web.yaml", manifest + "\n  env: {GREETING: bonjour}\n")
        _ = try fleet.repository.git.commit("web greets bonjour")
        let plan = ["plan", "--repo", fleet.repository.path, "--state-dir", fleet.stateDirectory]
        let text = try await BuiltProducts.gitfleet(plan + ["--detailed-exitcode"])
        #expect(text.status == 2, "\(text)")
        #expect(text.standardOutput.contains("-/+ web: replace"), "\(text)")
        #expect(text.standardOutput.contains("reason:    env changed"), "\(text)")
        #expect(text.standardOutput.contains("    ~ env\n"), "\(text)")
        #expect(text.standardOutput.contains(#"~ GREETING: "hello" → "bonjour""#), "\(text)")

        let json = try await BuiltProducts.gitfleet(plan + ["--json"])
        #expect(json.status == 0, "\(json)")
        let action = try #require(try PlanDocument.decode(Data(json.standardOutput.utf8)).plan.actions.first)
        #expect(action.kind == .replace)
        let change = try #require(action.changes?.flatMap(\.leaves).first)
        #expect(action.changes?.flatMap(\.leaves).count == 1)
        #expect(change.path == "env.GREETING")
        #expect((change.old, change.new, change.kind) == (#""hello""#, #""bonjour""#, .changed))
    }
}
