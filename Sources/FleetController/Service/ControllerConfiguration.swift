import FleetGit
import FleetModel
import Foundation

/// Everything `gitfleet serve` can be told, each setting available in three places: a YAML
/// configuration file (`pollInterval: 30s`), an environment variable (`GITFLEET_POLL_INTERVAL`) and
/// a flag (`--poll-interval`). A flag wins over the environment, which wins over the file, which wins
/// over the default. docs/configuration.md lists every setting.
///
/// Safety settings (signed commits, history rewrites) live here and never in the fleet repository,
/// so a commit cannot switch them off.
public struct ControllerConfiguration: Sendable, Hashable {
    // Where the desired state comes from.
    public var repository: String
    public var branch = "main"
    public var fleetPath = ""
    public var servicesDirectory = "services"
    public var cacheDirectory: String?
    public var tokenFile: String?
    public var sshKey: String?
    public var knownHosts: String?
    // When to look.
    public var pollInterval: Duration = .seconds(30)
    public var resyncInterval: Duration = .seconds(300)
    // Where state lives and who this controller is.
    public var stateDirectory: String?
    public var controllerID: String
    // The audit trail.
    public var notesRef = "refs/notes/gitfleet"
    public var pushNotes = true
    // HTTP.
    public var listenHost = "127.0.0.1"
    public var listenPort = 8080
    public var githubSecretFile: String?
    public var gitlabSecretFile: String?
    public var giteaSecretFile: String?
    public var genericSecretFile: String?
    // Trust.
    public var requireSignedCommits = false
    public var allowedSignersFile: String?
    public var gpgHome: String?
    public var refuseHistoryRewrite = false
    // Where instances run (see ControllerConfiguration+Runtime.swift).
    public var runtime = RuntimeChoice.process
    public var dockerHosts: [String] = []
    public var dockerCaFile: String?
    public var dockerCertFile: String?
    public var dockerKeyFile: String?

    public init(repository: String, controllerID: String = ControllerConfiguration.defaultControllerID()) {
        self.repository = repository
        self.controllerID = controllerID
    }

    /// `gitfleet-<host>`.
    public static func defaultControllerID() -> String {
        "gitfleet-\(ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "local")"
    }

    public var isRemote: Bool { repository.contains("://") || (repository.contains("@") && repository.contains(":")) }

    public var credentials: GitCredentials {
        if let sshKey {
            let knownHosts = knownHosts ?? "\(NSHomeDirectory())/.ssh/known_hosts"
            return .sshKey(GitCredentials.SSHKey(privateKeyPath: sshKey, knownHostsPath: knownHosts))
        }
        if let tokenFile { return .httpsToken(.file(path: tokenFile)) }
        return .none
    }

    public var layout: FleetLayout { FleetLayout(root: fleetPath, servicesDirectory: servicesDirectory) }

    /// The state directory: configured, or `.gitfleet/` under the working directory.
    public var resolvedStateDirectory: String {
        stateDirectory ?? "\(FileManager.default.currentDirectoryPath)/.gitfleet"
    }
}

/// One setting: its name in each of the three places, and how to apply a value to a configuration.
public struct ControllerSetting: Sendable {
    /// The key in the configuration file, in camelCase.
    public let key: String
    public let summary: String
    let apply: @Sendable (inout ControllerConfiguration, String) -> String?

    /// `GITFLEET_POLL_INTERVAL`.
    public var environmentVariable: String {
        "GITFLEET_" + key.unicodeScalars.map { $0.properties.isUppercase ? "_\($0)" : "\($0)".uppercased() }.joined()
    }

    /// `poll-interval`.
    public var flag: String {
        key.unicodeScalars.map { $0.properties.isUppercase ? "-\($0)".lowercased() : "\($0)" }.joined()
    }
}

extension ControllerConfiguration {
    /// A setting that could not be applied, and where its value came from.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var source: String
        public var message: String
        public var description: String { "\(source): \(message)" }
    }

    /// Resolves the configuration from its file (if any), the environment and flags, reporting every
    /// bad value at once.
    public static func resolve(
        file: SettingsFile?, environment: [String: String], flags: [String: String]
    ) throws -> ControllerConfiguration {
        var configuration = ControllerConfiguration(repository: "")
        var problems: [Problem] = []
        let known = settings.map(\.key)
        for (key, value) in (file?.values ?? [:]).sorted(by: { $0.key < $1.key })
        where !known.contains(key) {
            let hint = SettingsFile.suggestion(for: key, among: known).map { "; did you mean '\($0)'?" } ?? ""
            problems.append(Problem(source: "\(value.keyLocation)", message: "unknown setting '\(key)'\(hint)"))
        }
        for setting in settings {
            var value: (text: String, source: String)? = nil
            if let fileValue = file?.values[setting.key] {
                if let text = fileValue.text {
                    value = (text, "\(fileValue.location): \(setting.key)")
                } else if fileValue.list != nil {
                    problems.append(
                        Problem(source: "\(fileValue.location): \(setting.key)", message: "expected a single value"))
                }
            }
            if let text = environment[setting.environmentVariable] { value = (text, setting.environmentVariable) }
            if let text = flags[setting.key] { value = (text, "--\(setting.flag)") }
            guard let value else { continue }
            if let problem = setting.apply(&configuration, value.text) {
                problems.append(Problem(source: value.source, message: problem))
            }
        }
        if configuration.repository.isEmpty {
            problems.append(
                Problem(source: "repo", message: "no repository to watch; set --repo, GITFLEET_REPO or repo:"))
        }
        if configuration.requireSignedCommits && configuration.allowedSignersFile == nil
            && configuration.gpgHome == nil
        {
            problems.append(
                Problem(
                    source: "requireSignedCommits",
                    message: "signed commits are required but neither allowedSignersFile nor gpgHome is set"))
        }
        guard problems.isEmpty else { throw ProblemList(problems: problems) }
        return configuration
    }

    public struct ProblemList: Error, Sendable, CustomStringConvertible {
        public var problems: [Problem]
        public var description: String { problems.map(\.description).joined(separator: "\n") }
    }

    /// Every setting, in the order docs/configuration.md lists them.
    public static let settings: [ControllerSetting] = [
        .text(
            "repo", "The fleet repository to watch: a URL (file://, https://, ssh://) or a local path.", \.repository),
        .text("branch", "The branch to deploy.", \.branch),
        .text("path", "The fleet's folder inside the repository.", \.fleetPath),
        .text("services", "The folder of service manifests, relative to path.", \.servicesDirectory),
        .optionalText("cacheDir", "Where clones of the repository are cached.", \.cacheDirectory),
        .optionalText("tokenFile", "A file holding an HTTPS access token.", \.tokenFile),
        .optionalText("sshKey", "A private SSH key for the remote.", \.sshKey),
        .optionalText("knownHosts", "The known_hosts file the remote's host key must be in.", \.knownHosts),
        .duration("pollInterval", "How often the remote head is checked (jittered by up to 10%).", \.pollInterval),
        .duration(
            "resyncInterval", "How often the fleet is reconciled with no new commit, to heal drift.", \.resyncInterval),
        .optionalText("stateDir", "The state directory (registry, image store, instances).", \.stateDirectory),
        .text("controllerId", "This controller's name in status annotations.", \.controllerID),
        .text("notesRef", "The notes ref status annotations are written under.", \.notesRef),
        .bool("pushNotes", "Push status annotations to the remote.", \.pushNotes),
        .text("listenHost", "The address the HTTP server binds.", \.listenHost),
        .integer("listenPort", "The HTTP port (0 picks a free one).", \.listenPort, range: 0...65535),
        .optionalText("githubSecretFile", "The GitHub webhook secret; enables /webhooks/github.", \.githubSecretFile),
        .optionalText("gitlabSecretFile", "The GitLab webhook token; enables /webhooks/gitlab.", \.gitlabSecretFile),
        .optionalText(
            "giteaSecretFile", "The Gitea/Forgejo webhook secret; enables /webhooks/gitea.", \.giteaSecretFile),
        .optionalText(
            "genericSecretFile", "The generic HMAC webhook secret; enables /webhooks/generic.", \.genericSecretFile),
        .bool("requireSignedCommits", "Deploy only commits signed by an allowed signer.", \.requireSignedCommits),
        .optionalText("allowedSignersFile", "SSH allowed_signers for signed commits.", \.allowedSignersFile),
        .optionalText("gpgHome", "A GnuPG home holding the keys trusted to sign commits.", \.gpgHome),
        .bool(
            "refuseHistoryRewrite", "Refuse a new head that does not descend from the last deployed commit.",
            \.refuseHistoryRewrite),
        .runtimeChoice(
            "runtime", "Where instances run: process (local processes) or docker (Docker Engine API hosts)."),
        .dockerHosts(
            "dockerHosts", "The Docker Engine API hosts, comma-separated: unix:///path.sock, tcp://host:port."),
        .optionalText(
            "dockerCaFile", "The CA certificate Docker hosts' TLS certificates are checked against.", \.dockerCaFile),
        .optionalText("dockerCertFile", "The client certificate for Docker hosts that require one.", \.dockerCertFile),
        .optionalText("dockerKeyFile", "The private key of dockerCertFile.", \.dockerKeyFile),
    ]
}

extension ControllerSetting {
    static func text(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, String> & Sendable
    )
        -> ControllerSetting
    {
        ControllerSetting(key: key, summary: summary) { configuration, value in
            configuration[keyPath: path] = value
            return nil
        }
    }

    static func optionalText(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, String?> & Sendable
    ) -> ControllerSetting {
        ControllerSetting(key: key, summary: summary) { configuration, value in
            configuration[keyPath: path] = value.isEmpty ? nil : value
            return nil
        }
    }

    static func duration(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, Duration> & Sendable
    ) -> ControllerSetting {
        ControllerSetting(key: key, summary: summary) { configuration, value in
            guard let duration = Duration.manifest(value), duration > .zero else {
                return "'\(value)' is not a duration (expected one such as 30s, 5m or 1h)"
            }
            configuration[keyPath: path] = duration
            return nil
        }
    }

    static func bool(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, Bool> & Sendable
    )
        -> ControllerSetting
    {
        ControllerSetting(key: key, summary: summary) { configuration, value in
            switch value.lowercased() {
            case "true", "1", "yes": configuration[keyPath: path] = true
            case "false", "0", "no": configuration[keyPath: path] = false
            default: return "'\(value)' is not true or false"
            }
            return nil
        }
    }

    static func integer(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, Int> & Sendable,
        range: ClosedRange<Int>
    ) -> ControllerSetting {
        ControllerSetting(key: key, summary: summary) { configuration, value in
            guard let number = Int(value), range.contains(number) else {
                return "'\(value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)"
            }
            configuration[keyPath: path] = number
            return nil
        }
    }
}
