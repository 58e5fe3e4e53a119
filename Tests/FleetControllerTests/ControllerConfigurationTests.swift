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

    @Test("The etcd registry takes its endpoints as a YAML list or a comma-separated value")
    func etcdSettings() throws {
        let yaml = try SettingsFile.parse(
            Array(
                "repo: file:///srv/fleet.git\nregistry: etcd\netcdEndpoints:\n  - https://10.0.0.1:2379\n  - https://10.0.0.2:2379\nleaseTtl: 10s\n"
                    .utf8), file: "config.yaml")
        let configuration = try ControllerConfiguration.resolve(file: yaml, environment: [:], flags: [:])
        #expect(configuration.registry == .etcd)
        #expect(configuration.etcdEndpoints == ["https://10.0.0.1:2379", "https://10.0.0.2:2379"])
        #expect(configuration.leaseTTL == .seconds(10))
        #expect(configuration.etcdPrefix == "/gitfleet")
        let fromEnvironment = try ControllerConfiguration.resolve(
            file: nil,
            environment: [
                "GITFLEET_REPO": "/srv/fleet", "GITFLEET_REGISTRY": "etcd",
                "GITFLEET_ETCD_ENDPOINTS": "http://a:2379, http://b:2379",
            ], flags: [:])
        #expect(fromEnvironment.etcdEndpoints == ["http://a:2379", "http://b:2379"])
    }

    @Test("etcd settings that cannot work together are reported, each naming the setting")
    func etcdProblems() {
        let error = #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(
                file: nil, environment: ["GITFLEET_REPO": "/srv/fleet"],
                flags: [
                    "registry": "etcd", "etcdUsername": "gitfleet", "etcdCertFile": "/tls/client.pem",
                    "leaseTtl": "1s",
                ])
        }
        let text = error?.description ?? ""
        #expect(text.contains("etcdEndpoints: registry is etcd but no endpoint is set"), "\(text)")
        #expect(text.contains("etcdUsername and etcdPasswordFile must be set together"), "\(text)")
        #expect(text.contains("etcdCertFile and etcdKeyFile must be set together"), "\(text)")
        #expect(text.contains("leaseTtl: the leader lease must last at least 2s"), "\(text)")
        let badChoice = #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(
                file: nil, environment: ["GITFLEET_REPO": "/srv/fleet"],
                flags: ["registry": "zookeeper", "etcdEndpoints": "10.0.0.1:2379"])
        }
        #expect(
            badChoice?.description.contains(
                "--registry: 'zookeeper' is not one of the choices (expected sqlite or etcd)")
                == true, "\(String(describing: badChoice))")
        #expect(badChoice?.description.contains("'10.0.0.1:2379' is not a client URL") == true)
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
