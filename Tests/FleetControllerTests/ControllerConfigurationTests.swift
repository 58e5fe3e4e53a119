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
        #expect(
            text.contains("config.yaml:3:13: listenPort: expected a whole number from 0 to 65535, got \"70000\""),
            "\(text)")
        #expect(
            text.contains("GITFLEET_RESYNC_INTERVAL: expected a duration such as 30s or 2m, got \"often\""), "\(text)")
        #expect(text.contains("--push-notes: expected true or false, got \"maybe\""), "\(text)")
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
                "--registry: expected sqlite or etcd, got \"zookeeper\"")
                == true, "\(String(describing: badChoice))")
        #expect(badChoice?.description.contains("'10.0.0.1:2379' is not a client URL") == true)
    }

    @Test("A dockerConfigFile that cannot be used stops the start with where it was set and the bad JSON path")
    func dockerConfigFileProblems() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "gitfleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("config.json").path
        // The password of the bad entry must not be in the message, though the entry is quoted by its path.
        try #"{"auths": {"registry.example.com": {"auth": "bm8tY29sb24taW4taGVyZQ=="}}}"#.write(
            toFile: bad, atomically: true, encoding: .utf8)
        let file = try SettingsFile.parse(
            Array("repo: file:///srv/fleet.git\nruntime: docker\ndockerConfigFile: \(bad)\n".utf8), file: "config.yaml")
        let error = #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(
                file: file, environment: ["GITFLEET_DOCKER_HOSTS": "unix:///d.sock"], flags: [:])
        }
        let text = error?.description ?? ""
        #expect(
            text == "config.yaml:3:19: dockerConfigFile: \(bad): auths[\"registry.example.com\"].auth: expected base64 "
                + "of user:password", "\(text)")
        #expect(!text.contains("no-colon-in-here") && !text.contains("bm8tY29sb24taW4taGVyZQ"))
        let missing = folder.appendingPathComponent("absent.json").path
        let absent = #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(
                file: nil, environment: ["GITFLEET_REPO": "/srv/fleet"], flags: ["dockerConfigFile": missing])
        }
        #expect(
            absent?.description.hasPrefix("--docker-config-file: \(missing): cannot be read") == true,
            "\(String(describing: absent))")

        try #"{"auths": {"registry.example.com": {"username": "u", "password": "p"}}}"#.write(
            toFile: bad, atomically: true, encoding: .utf8)
        let good = try ControllerConfiguration.resolve(
            file: nil, environment: ["GITFLEET_REPO": "/srv/fleet"], flags: ["dockerConfigFile": bad])
        #expect(good.dockerConfigFile == bad)
    }

    @Test("Signed commits cannot be required without a way to verify them, and a repository is required")
    func requiredCombinations() {
        let error = #expect(throws: ControllerConfiguration.ProblemList.self) {
            try ControllerConfiguration.resolve(
                file: nil, environment: [:], flags: ["requireSignedCommits": "true"])
        }
        #expect(error?.problems.count == 2)
    }

    @Test(
        "Each kind of value parses once and says what it expected, wherever the value came from",
        arguments: [
            ("pollInterval", "3x", "expected a duration such as 30s or 2m, got \"3x\""),
            ("pollInterval", "0s", "expected a duration such as 30s or 2m, got \"0s\""),
            ("listenPort", "-1", "expected a whole number from 0 to 65535, got \"-1\""),
            ("pushNotes", "sometimes", "expected true or false, got \"sometimes\""),
            ("registry", "consul", "expected sqlite or etcd, got \"consul\""),
            ("runtime", "vm", "expected process or docker, got \"vm\""),
            ("discoveryOutputs", "caddy:/etc/caddy", "'caddy:/etc/caddy' is not a discovery output"),
            ("runtimeScope", "shop/prod", "'shop/prod' is not a runtime scope"),
            ("freezeWindows", "weekend duration=64h", "freeze window 'weekend' needs schedule=\"CRON\" duration="),
        ])
    func typedValues(key: String, value: String, message: String) throws {
        let setting = try #require(ControllerConfiguration.settings.first { $0.key == key })
        let file = try SettingsFile.parse(
            Array("repo: /srv/fleet\n\(key): \"\(value)\"\n".utf8), file: "config.yaml")
        for (source, resolve) in [
            (
                "--\(setting.flag): ",
                {
                    try ControllerConfiguration.resolve(
                        file: nil, environment: ["GITFLEET_REPO": "/srv"], flags: [key: value])
                }
            ),
            (
                "\(setting.environmentVariable): ",
                {
                    try ControllerConfiguration.resolve(
                        file: nil, environment: ["GITFLEET_REPO": "/srv", setting.environmentVariable: value],
                        flags: [:])
                }
            ),
            (
                "config.yaml:2:\(key.count + 3): \(key): ",
                { try ControllerConfiguration.resolve(file: file, environment: [:], flags: [:]) }
            ),
        ] as [(String, () throws -> ControllerConfiguration)] {
            let error = #expect(throws: ControllerConfiguration.ProblemList.self) { try resolve() }
            #expect(error?.description.contains(source + message) == true, "\(String(describing: error))")
        }
    }

    @Test("Defaults in help and docs are the configuration's own values")
    func defaults() throws {
        let stated = Dictionary(
            uniqueKeysWithValues: ControllerConfiguration.settings.map { ($0.key, $0.defaultDescription) })
        #expect(stated["pollInterval"] == "30s")
        #expect(stated["resyncInterval"] == "5m")
        #expect(stated["listenPort"] == "8080")
        #expect(stated["pushNotes"] == "true")
        #expect(stated["registry"] == "sqlite")
        #expect(stated["controllerId"] == "gitfleet-<host>")
        #expect(stated["tokenFile"] == "—")
        let configuration = try ControllerConfiguration.resolve(file: nil, environment: [:], flags: ["repo": "/srv"])
        #expect(configuration.pollInterval.manifestDescription == stated["pollInterval"])
        #expect(configuration.leaseTTL.manifestDescription == stated["leaseTtl"])
    }

    /// docs/configuration.md, next to this package's sources.
    static let documentation = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/configuration.md")

    /// With GITFLEET_UPDATE_DOCS=1 the test writes the table into the page (between `## Settings` and the
    /// next heading) instead, so that a new setting's row is never typed by hand.
    @Test("docs/configuration.md's table is the settings table: key, variable, flag, type, default and help of each")
    func documented() throws {
        let text = try String(contentsOf: Self.documentation, encoding: .utf8)
        let table = ControllerConfiguration.settingsTable
        if ProcessInfo.processInfo.environment["GITFLEET_UPDATE_DOCS"] == "1" {
            let start = try #require(text.range(of: "## Settings\n\n"))
            let end = try #require(text.range(of: "\n## ", range: start.upperBound..<text.endIndex))
            let updated = text[..<start.upperBound] + table + text[end.lowerBound...]
            try updated.write(to: Self.documentation, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            text.contains("## Settings\n\n" + table + "\n## "),
            """
            docs/configuration.md's table differs from ControllerConfiguration.settings; rewrite it with
            GITFLEET_UPDATE_DOCS=1 swift test --filter ControllerConfigurationTests, or paste:
            \(table)
            """)
    }
}
