import FleetGit
import FleetModel
import Foundation
import Logging

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
    /// The bound of one network operation on the repository (clone, head lookup, fetch, notes push).
    public var gitTimeout: Duration = .seconds(120)
    // Where state lives and who this controller is.
    public var stateDirectory: String?
    public var controllerID: String
    // The live registry: embedded SQLite, or etcd shared by replicas that elect a leader.
    public var registry: RegistryKind = .sqlite
    public var etcdEndpoints: [String] = []
    public var etcdPrefix = "/gitfleet"
    public var etcdCaFile: String?
    public var etcdCertFile: String?
    public var etcdKeyFile: String?
    public var etcdUsername: String?
    public var etcdPasswordFile: String?
    public var leaseTTL: Duration = .seconds(15)
    /// The process runtime's folder (images, instances); replicas on one host share it.
    public var runtimeDirectory: String?
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
    // Discovery.
    public var discoveryOutputs: [DiscoveryOutput] = []
    public var discoveryReloadCommand: [String] = []
    public var discoveryReloadTimeout: Duration = .seconds(10)
    public var discoveryPort = "http"

    public enum RegistryKind: String, Sendable, Hashable, CaseIterable {
        case sqlite, etcd
    }
    // Where instances run (see ControllerConfiguration+Runtime.swift).
    public var runtime = RuntimeChoice.process
    public var dockerHosts: [String] = []
    public var dockerCaFile: String?
    public var dockerCertFile: String?
    public var dockerKeyFile: String?
    /// The fleet the runtime acts for; nil derives it from the registry (see ``resolvedRuntimeScope``).
    public var runtimeScope: String?
    // Logs (docs/logging.md).
    public var logFormat = LogFormat.text
    public var logLevel = Logger.Level.info

    public init(repository: String, controllerID: String = ControllerConfiguration.defaultControllerID()) {
        self.repository = repository
        self.controllerID = controllerID
    }

    /// `gitfleet-<host>`.
    public static func defaultControllerID() -> String {
        "gitfleet-\(ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "local")"
    }

    public var isRemote: Bool { TrackedRepository.Location.isRemote(repository) }

    public var credentials: GitCredentials {
        if let sshKey {
            let knownHosts = knownHosts ?? "\(NSHomeDirectory())/.ssh/known_hosts"
            return .sshKey(GitCredentials.SSHKey(privateKeyPath: sshKey, knownHostsPath: knownHosts))
        }
        if let tokenFile { return .httpsToken(.file(path: tokenFile)) }
        return .none
    }

    public var layout: FleetLayout { FleetLayout(root: fleetPath, servicesDirectory: servicesDirectory) }

    /// The state directory: configured, or `.gitfleet/` under the working directory; always absolute.
    public var resolvedStateDirectory: String { Self.absolute(stateDirectory ?? ".gitfleet") }

    /// The process runtime's folder: configured, or the state directory; always absolute.
    public var resolvedRuntimeDirectory: String { runtimeDirectory.map(Self.absolute) ?? resolvedStateDirectory }

    /// `path` against the working directory when it is relative; instances and clones live under these
    /// folders and are reached from other working directories.
    public static func absolute(_ path: String) -> String {
        let url =
            path.hasPrefix("/")
            ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path)
        return url.standardized.path
    }
}

/// One setting: its name in each of the three places, and how to apply a value to a configuration.
public struct ControllerSetting: Sendable {
    /// The key in the configuration file, in camelCase.
    public let key: String
    public let summary: String
    /// Whether the file may give a YAML list (joined with commas, as the environment and flags spell it).
    var acceptsList = false
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
    /// bad value at once. Commands that only reach the registry or the runtime (status, retry, adopt) need
    /// no repository; pass `requiringRepository: false`.
    public static func resolve(
        file: SettingsFile?, environment: [String: String], flags: [String: String], requiringRepository: Bool = true
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
                } else if let list = fileValue.list, setting.acceptsList {
                    value = (list.joined(separator: ","), "\(fileValue.location): \(setting.key)")
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
        if requiringRepository && configuration.repository.isEmpty {
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
        problems += configuration.registryProblems()
        guard problems.isEmpty else { throw ProblemList(problems: problems) }
        return configuration
    }

    /// Settings of the registry that make no sense together.
    func registryProblems() -> [Problem] {
        var problems: [Problem] = []
        if registry == .etcd && etcdEndpoints.isEmpty {
            problems.append(
                Problem(
                    source: "etcdEndpoints",
                    message: "registry is etcd but no endpoint is set; set etcdEndpoints to client URLs"))
        }
        for endpoint in etcdEndpoints where !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            problems.append(
                Problem(
                    source: "etcdEndpoints",
                    message: "'\(endpoint)' is not a client URL (expected http://host:2379 or https://host:2379)"))
        }
        if (etcdUsername == nil) != (etcdPasswordFile == nil) {
            problems.append(
                Problem(source: "etcdUsername", message: "etcdUsername and etcdPasswordFile must be set together"))
        }
        if (etcdCertFile == nil) != (etcdKeyFile == nil) {
            problems.append(
                Problem(source: "etcdCertFile", message: "etcdCertFile and etcdKeyFile must be set together"))
        }
        if leaseTTL < .seconds(2) {
            problems.append(Problem(source: "leaseTtl", message: "the leader lease must last at least 2s"))
        }
        return problems
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
        .duration(
            "gitTimeout",
            "How long one network operation on the repository (clone, head lookup, fetch, notes push) may take "
                + "before it is abandoned.",
            \.gitTimeout),
        .optionalText("stateDir", "The state directory (registry, image store, instances).", \.stateDirectory),
        .text("controllerId", "This controller's name in status annotations and in leader election.", \.controllerID),
        .optionalText(
            "runtimeDir", "The process runtime's folder (images, instances); default: the state directory.",
            \.runtimeDirectory),
        .choice("registry", "The live registry: sqlite (embedded, one controller) or etcd (shared).", \.registry),
        .list("etcdEndpoints", "etcd client URLs, comma-separated; tried in turn.", \.etcdEndpoints),
        .text("etcdPrefix", "The key prefix of this fleet's records in etcd.", \.etcdPrefix),
        .optionalText("etcdCaFile", "The CA (PEM) that signed etcd's server certificates.", \.etcdCaFile),
        .optionalText("etcdCertFile", "The client certificate (PEM) for etcd's client-cert-auth.", \.etcdCertFile),
        .optionalText("etcdKeyFile", "The client certificate's key (PEM).", \.etcdKeyFile),
        .optionalText("etcdUsername", "The etcd user, when etcd has authentication on.", \.etcdUsername),
        .optionalText("etcdPasswordFile", "A file holding the etcd user's password.", \.etcdPasswordFile),
        .duration(
            "leaseTtl", "How long a leader lasts without renewing its lease; a standby takes over within it.",
            \.leaseTTL),
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
        .discoveryOutputs,
        .discoveryReloadCommand,
        .duration(
            "discoveryReloadTimeout", "How long the reload command may run before it is killed and counts as failed.",
            \.discoveryReloadTimeout),
        .text("discoveryPort", "The named instance port discovery outputs point clients at.", \.discoveryPort),
        .runtimeChoice(
            "runtime", "Where instances run: process (local processes) or docker (Docker Engine API hosts)."),
        .dockerHosts(
            "dockerHosts", "The Docker Engine API hosts, comma-separated: unix:///path.sock, tcp://host:port."),
        .optionalText(
            "dockerCaFile", "The CA certificate Docker hosts' TLS certificates are checked against.", \.dockerCaFile),
        .optionalText("dockerCertFile", "The client certificate for Docker hosts that require one.", \.dockerCertFile),
        .optionalText("dockerKeyFile", "The private key of dockerCertFile.", \.dockerKeyFile),
        .runtimeScope(
            "runtimeScope",
            "The fleet the runtime acts for: it never lists, stops, removes or adopts another scope's instances."),
        .choice(
            "logFormat", "How log lines are written to stderr: text (for people) or json (one object a line).",
            \.logFormat),
        .choice(
            "logLevel", "The least severe level logged: trace, debug, info, notice, warning, error or critical.",
            \.logLevel),
    ]

    /// The discovery publisher's part of the configuration.
    public var discovery: DiscoveryPublisher.Configuration {
        DiscoveryPublisher.Configuration(
            outputs: discoveryOutputs, reloadCommand: discoveryReloadCommand, reloadTimeout: discoveryReloadTimeout,
            port: discoveryPort)
    }
}

extension ControllerSetting {
    static let discoveryOutputs = ControllerSetting(
        key: "discoveryOutputs",
        summary:
            "Files rendered from the serving set, comma-separated: nginx:PATH, haproxy:PATH, template:TEMPLATE:PATH."
    ) { configuration, value in
        switch DiscoveryOutput.list(value) {
        case .success(let outputs): configuration.discoveryOutputs = outputs
        case .failure(let error): return error.message
        }
        return nil
    }

    static let discoveryReloadCommand = ControllerSetting(
        key: "discoveryReloadCommand",
        summary: "The command run after the outputs change, as argv: words split at spaces, or a JSON array of strings."
    ) { configuration, value in
        switch DiscoveryOutput.command(value) {
        case .success(let command): configuration.discoveryReloadCommand = command
        case .failure(let error): return error.message
        }
        return nil
    }

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

    static func choice<Choice: RawRepresentable & CaseIterable & Sendable>(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, Choice> & Sendable
    ) -> ControllerSetting where Choice.RawValue == String {
        ControllerSetting(key: key, summary: summary) { configuration, value in
            guard let choice = Choice(rawValue: value) else {
                let choices = Choice.allCases.map(\.rawValue).joined(separator: " or ")
                return "'\(value)' is not one of the choices (expected \(choices))"
            }
            configuration[keyPath: path] = choice
            return nil
        }
    }

    /// A comma-separated list in the environment and flags; also a YAML list in the file.
    static func list(
        _ key: String, _ summary: String, _ path: WritableKeyPath<ControllerConfiguration, [String]> & Sendable
    ) -> ControllerSetting {
        ControllerSetting(key: key, summary: summary, acceptsList: true) { configuration, value in
            configuration[keyPath: path] = value.split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            .filter { !$0.isEmpty }
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
