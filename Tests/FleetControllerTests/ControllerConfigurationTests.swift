import FleetController
import FleetModel
import Foundation
import Testing

@Suite("Controller configuration")
struct ControllerConfigurationTests {
    let file = try! SettingsFile.parse(
        Array("repo: file:///srv/fleet.git\npollInterval: 45s\nbranch: production\nlistenPort: 9000\n".utf8),
        file: "config.yaml")

    @Test("A flag wins over the environment, which wins over the file, which wins over the default")
    func precedence() throws {
        let configuration = try ControllerConfiguration.resolve(
            file: file, environment: ["GITFLEET_POLL_INTERVAL": "20s", "GITFLEET_BRANCH": "staging"],
            flags: ["pollInterval": "10s"])
        #expect(configuration.repository == "file:///srv/fleet.git")
        #expect(configuration.pollInterval == .seconds(10))
        #expect(configuration.branch == "staging")
        #expect(configuration.listenPort == 9000)
        #expect(configuration.resyncInterval == .seconds(300))
        #expect(configuration.notesRef == "refs/notes/gitfleet")
    }

    @Test("Every bad value is reported at once, each with where it came from")
    func problems() throws {
        let bad = try SettingsFile.parse(
            Array("repo: file:///srv/fleet.git\npollIntervall: 45s\nlistenPort: 70000\n".utf8), file: "config.yaml")
        let error = #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(
                file: bad, environment: ["GITFLEET_RESYNC_INTERVAL": "often"], flags: ["pushNotes": "maybe"])
        }
        let text = error?.description ?? ""
        #expect(
            text.contains("config.yaml:2:1: unknown setting 'pollIntervall'; did you mean 'pollInterval'?"), "\(text)")
        #expect(text.contains("config.yaml:3:13: listenPort: '70000' is not a whole number from 0 to 65535"), "\(text)")
        #expect(text.contains("GITFLEET_RESYNC_INTERVAL: 'often' is not a duration"), "\(text)")
        #expect(text.contains("--push-notes: 'maybe' is not true or false"), "\(text)")
    }

    @Test("Signed commits cannot be required without a way to verify them, and a repository is required")
    func requiredCombinations() {
        let error = #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(
                file: nil, environment: [:], flags: ["requireSignedCommits": "true"])
        }
        #expect(error?.problems.count == 2)
    }

    @Test("docs/configuration.md lists every setting with its key, variable and flag")
    func documented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/configuration.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for setting in ControllerConfiguration.settings {
            #expect(
                text.contains("| `\(setting.key)` | `\(setting.environmentVariable)` | `--\(setting.flag)` |"),
                "docs/configuration.md does not list \(setting.key)")
        }
    }
}
