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
    /// The controller's address as people reach it (links in notifications); nil for the bound address.
    public var externalURL: String?
    public var githubSecretFile: String?
    public var gitlabSecretFile: String?
    public var giteaSecretFile: String?
    public var genericSecretFile: String?
    /// Bearer tokens of the HTTP API (docs/http-api.md); none leaves the API open, on loopback only.
    public var apiTokens: [APIToken] = []
    public var allowUnauthenticated = false
    /// A listener of its own for `/webhooks/*`; nil serves them on the main listener.
    public var webhookListen: ListenAddress?
    public var tlsCertFile: String?
    public var tlsKeyFile: String?
    public var webhookTlsCertFile: String?
    public var webhookTlsKeyFile: String?
    // Trust.
    public var requireSignedCommits = false
    public var allowedSignersFile: String?
    public var gpgHome: String?
    public var refuseHistoryRewrite = false
    /// The SSH private key that signs every note the controller writes (docs/auditing.md); never in the repository.
    public var noteSigningKey: String?
    /// The age identities that open the fleet's sealed secrets (docs/secrets.md); never in the repository.
    public var secretIdentityFile: String?
    // Discovery.
    public var discoveryOutputs: [DiscoveryOutput] = []
    public var discoveryReloadCommand: [String] = []
    public var discoveryReloadTimeout: Duration = .seconds(10)
    public var discoveryPort = "http"
    /// Discovery agents whose confirmation drains and switches wait for (docs/http-api.md, "Agents").
    public var requiredAgents: [String] = []
    /// How long an agent may go without a report before it counts as silent.
    public var agentTimeout: Duration = .seconds(15)
    // Notifications (docs/notifications.md).
    public var notifications: [NotificationTarget] = []
    // Freeze windows (docs/operations.md, "Freeze windows").
    public var freezeWindows: [FreezeWindow] = []

    public enum RegistryKind: String, Sendable, Hashable, CaseIterable {
        case sqlite, etcd
    }
    // Where instances run (see ControllerConfiguration+Runtime.swift).
    public var runtime = RuntimeChoice.process
    public var dockerHosts: [String] = []
    public var dockerCaFile: String?
    public var dockerCertFile: String?
    public var dockerKeyFile: String?
    /// A Docker `config.json` with registry credentials for pulls (see ``DockerConfigFile``).
    public var dockerConfigFile: String?
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
        // Where each applied setting came from, so a problem found between settings names that place.
        var sources: [String: String] = [:]
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
            sources[setting.key] = value.source
            if let problem = setting.apply(&configuration, value.text) {
                problems.append(Problem(source: value.source, message: problem.message))
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
        problems += configuration.runtimeProblems(sources: sources)
        problems += configuration.listenerProblems(sources: sources, serving: requiringRepository)
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

    /// Every setting, in the order docs/configuration.md lists them. Adding a setting is adding it here
    /// (and its field above): its variable, flag, help, completion and row in the docs follow.
    public static let settings: [ControllerSetting] = [
        .text(
            "repo", "The fleet repository to watch: a URL (file://, https://, ssh://) or a local path.", \.repository,
            default: "required"),
        .text("branch", "The branch to deploy.", \.branch),
        .text("path", "The fleet's folder inside the repository.", \.fleetPath, default: "the repository root"),
        .text("services", "The folder of service manifests, relative to path.", \.servicesDirectory),
        .directory(
            "cacheDir", "Where clones of the repository are cached.", \.cacheDirectory,
            default: "<stateDir>/repositories"),
        .file("tokenFile", "A file holding an HTTPS access token.", \.tokenFile),
        .file("sshKey", "A private SSH key for the remote.", \.sshKey),
        .file(
            "knownHosts", "The known_hosts file the remote's host key must be in.", \.knownHosts,
            default: "~/.ssh/known_hosts"),
        .duration("pollInterval", "How often the remote head is checked (jittered by up to 10%).", \.pollInterval),
        .duration(
            "resyncInterval", "How often the fleet is reconciled with no new commit, to heal drift.", \.resyncInterval),
        .duration(
            "gitTimeout",
            "How long one network operation on the repository (clone, head lookup, fetch, notes push) may take "
                + "before it is abandoned.",
            \.gitTimeout),
        .directory(
            "stateDir", "The state directory (registry, image store, instances).", \.stateDirectory,
            default: ".gitfleet/ in the working directory"),
        .text(
            "controllerId",
            "This controller's name in status annotations and in leader election; give each replica its own "
                + "(the pod name).",
            \.controllerID),
        .directory(
            "runtimeDir", "The process runtime's folder (images, instances).", \.runtimeDirectory, default: "stateDir",
            details: "Replicas on one host that share the process runtime share this folder."),
        .choice(
            "registry",
            "The live registry: sqlite (embedded, in stateDir, one controller) or etcd (shared; replicas elect a "
                + "leader).",
            \.registry),
        .list(
            "etcdEndpoints",
            "etcd client URLs (http://host:2379 or https://host:2379), comma-separated or a YAML list; tried in turn "
                + "when one does not answer.",
            \.etcdEndpoints, default: "— (required with etcd)"),
        .text(
            "etcdPrefix",
            "The key prefix of this fleet in etcd; several fleets can share one etcd with different prefixes.",
            \.etcdPrefix),
        .file(
            "etcdCaFile", "The CA (PEM) that signed etcd's server certificates.", \.etcdCaFile,
            default: "system roots"),
        .file(
            "etcdCertFile", "The client certificate (PEM) for etcd's --client-cert-auth; needs etcdKeyFile.",
            \.etcdCertFile),
        .file("etcdKeyFile", "The client certificate's key (PEM).", \.etcdKeyFile),
        .optionalText(
            "etcdUsername", "The etcd user, when etcd has authentication on; needs etcdPasswordFile.", \.etcdUsername),
        .file("etcdPasswordFile", "A file holding the etcd user's password.", \.etcdPasswordFile),
        .duration(
            "leaseTtl",
            "How long a leader lasts without renewing its lease (at least 2s); a standby takes over within it "
                + "after the leader dies.",
            \.leaseTTL),
        .text("notesRef", "The notes ref status annotations are written under.", \.notesRef),
        .bool("pushNotes", "Push status annotations to the remote.", \.pushNotes),
        .file(
            "noteSigningKey",
            "The SSH private key (no passphrase, mode 0600, outside the repository) that signs every note the "
                + "controller writes, in namespace gitfleet-note.",
            \.noteSigningKey, default: "— (notes are unsigned)",
            details:
                "Checked at start by signing a probe; a key that cannot sign stops the start. Auditors check the "
                + "signatures with `gitfleet audit verify --allowed-controllers FILE` or `ssh-keygen -Y verify` "
                + "(docs/auditing.md)."),
        .text("listenHost", "The address the HTTP server binds.", \.listenHost),
        .integer("listenPort", "The HTTP port (0 picks a free one).", \.listenPort, range: 0...65535),
        ControllerSetting(
            "externalUrl", "The controller's address as people reach it: the base of the links notifications carry.",
            \.externalURL, SettingType<String>.httpURL.optional,
            default: "the address the HTTP server listens on",
            details:
                "Set it when people reach the controller through a proxy or an ingress (https://gitfleet.example.com); "
                + "without it, links name listenHost (this host's name when it listens on every address) and the "
                + "port the server is bound to."),
        ControllerSetting(
            "apiTokens",
            "Bearer tokens of the HTTP API, comma-separated or a YAML list, each as NAME scope=read|operate "
                + "file=PATH (one token a file); with any, every /api/ and dashboard route needs one.",
            \.apiTokens, .apiTokens,
            details:
                "The name is the caller's identity in events and logs; read allows every GET, operate also the "
                + "actions. Files are read again when they change (at most once a second), so a rotated Secret "
                + "needs no restart; see http-api.md."),
        .bool(
            "allowUnauthenticated",
            "Serve the API without tokens on a listenHost other than loopback (anyone who reaches it may act).",
            \.allowUnauthenticated,
            details: "Without it, serve refuses such a listenHost unless apiTokens are set; with it, serve warns."),
        ControllerSetting(
            "webhookListen",
            "A listener of its own for /webhooks/* (host:port); the main listener then serves no webhooks.",
            \.webhookListen, SettingType<ListenAddress>.listenAddress.optional, default: "the main listener",
            details:
                "It serves the webhooks and /healthz only, so it alone can be exposed publicly; webhooks keep their "
                + "HMAC and need no API token."),
        .file("tlsCertFile", "The main listener's TLS certificate chain (PEM); needs tlsKeyFile.", \.tlsCertFile),
        .file("tlsKeyFile", "The private key (PEM) of tlsCertFile.", \.tlsKeyFile),
        .file(
            "webhookTlsCertFile", "The webhook listener's TLS certificate chain (PEM); needs webhookTlsKeyFile.",
            \.webhookTlsCertFile),
        .file("webhookTlsKeyFile", "The private key (PEM) of webhookTlsCertFile.", \.webhookTlsKeyFile),
        .file("githubSecretFile", "The GitHub webhook secret; enables /webhooks/github.", \.githubSecretFile),
        .file("gitlabSecretFile", "The GitLab webhook token; enables /webhooks/gitlab.", \.gitlabSecretFile),
        .file("giteaSecretFile", "The Gitea/Forgejo webhook secret; enables /webhooks/gitea.", \.giteaSecretFile),
        .file(
            "genericSecretFile", "The generic HMAC webhook secret; enables /webhooks/generic.", \.genericSecretFile),
        .bool("requireSignedCommits", "Deploy only commits signed by an allowed signer.", \.requireSignedCommits),
        .file("allowedSignersFile", "SSH allowed_signers for signed commits.", \.allowedSignersFile),
        .directory("gpgHome", "A GnuPG home holding the keys trusted to sign commits.", \.gpgHome),
        .bool(
            "refuseHistoryRewrite", "Refuse a new head that does not descend from the last deployed commit.",
            \.refuseHistoryRewrite),
        .file(
            "secretIdentityFile",
            "The age identity file (AGE-SECRET-KEY-1… lines, as age-keygen writes) that opens the fleet's sealed "
                + "secrets; keep it out of the repository, mode 0600.",
            \.secretIdentityFile, default: "— (no secret can be opened)",
            details:
                "Several identities are allowed (key rotation); the first also keys the digests in spec hashes, so "
                + "every replica needs the same first identity; see secrets.md."),
        ControllerSetting(
            "discoveryOutputs",
            "Files rendered from the serving set, comma-separated: nginx:PATH, haproxy:PATH, template:TEMPLATE:PATH; "
                + "each is written atomically.",
            \.discoveryOutputs, .discoveryOutputs),
        ControllerSetting(
            "discoveryReloadCommand",
            "Run (no shell) after the outputs change, as argv: words split at spaces, or a JSON array of strings; "
                + "rollouts wait until it exits 0.",
            \.discoveryReloadCommand, .command),
        .duration(
            "discoveryReloadTimeout", "How long the reload command may run before it is killed and counts as failed.",
            \.discoveryReloadTimeout),
        .text("discoveryPort", "The named instance port discovery outputs point clients at.", \.discoveryPort),
        ControllerSetting(
            "requiredAgents",
            "Discovery agents (gitfleet agent) by name, comma-separated or a YAML list: an instance leaves the serving "
                + "set, and its drain delay starts, only once each of them reports the publication without it.",
            \.requiredAgents, .agentNames,
            details:
                "A silent or failing one holds drains and switches (not creation, not the progress deadline); agents "
                + "not named here are listed but hold nothing. See http-api.md, \"Agents\"."),
        .duration(
            "agentTimeout",
            "How long a discovery agent may go without a report before it counts as silent (a required one then "
                + "holds drains).",
            \.agentTimeout,
            details: "Agents report every few seconds (gitfleet agent --heartbeat, 5s by default)."),
        ControllerSetting(
            "notifications",
            "Where commits' outcomes are reported, comma-separated or a YAML list: commit statuses "
                + "(github, gitlab, gitea), slack or a signed webhook, each as PROVIDER key=value…; see notifications.md.",
            \.notifications, .notifications),
        ControllerSetting(
            "freezeWindows",
            "Spans of time in which no new rollout starts (self-healing goes on), comma-separated or a YAML list: "
                + "NAME schedule=\"CRON\" duration=D [timeZone=TZ] or NAME from=TIME until=TIME, each with optional "
                + "services=a+b and reason=\"…\"; see operations.md.",
            \.freezeWindows, .freezeWindows),
        .choice(
            "runtime",
            "Where instances run: process (local processes) or docker (Docker Engine API hosts, see runtimes.md).",
            \.runtime),
        ControllerSetting(
            "dockerHosts",
            "The Docker Engine API hosts, comma-separated: unix:///path.sock, tcp://host:port (https://host:port "
                + "for TLS). Instances spread over them.",
            \.dockerHosts, .dockerHosts),
        .file(
            "dockerCaFile",
            "The CA certificate Docker hosts' TLS certificates are checked against; setting any Docker TLS file "
                + "turns tcp:// hosts to TLS.",
            \.dockerCaFile),
        .file("dockerCertFile", "The client certificate for Docker hosts that require one.", \.dockerCertFile),
        .file("dockerKeyFile", "The private key of dockerCertFile.", \.dockerKeyFile),
        .file(
            "dockerConfigFile",
            "A Docker config.json (or Podman auth.json) whose auths give registry credentials for the Docker "
                + "runtime's pulls, sent as X-Registry-Auth.",
            \.dockerConfigFile,
            details:
                "Per registry host, auth (base64 user:password), username and password, or identitytoken; read "
                + "again on every pull, so a rotated file needs no restart; see runtimes.md."),
        ControllerSetting(
            "runtimeScope", "The fleet the runtime acts for.", \.runtimeScope,
            SettingType<String>.runtimeScope.optional,
            default: "fleet- and 12 hex digits of SHA-256 over the registry's location",
            details:
                "Instances carry it (Docker label gitfleet.scope, process record and GITFLEET_SCOPE); the controller "
                + "never lists, stops, removes or adopts another scope's instances. Derived from sqlite:<stateDir> "
                + "or etcd:<etcdPrefix>, so replicas sharing a registry share it; see runtimes.md."),
        .choice(
            "logFormat", "How log lines are written to stderr: text (for people) or json (one object a line).",
            \.logFormat,
            details: "json suits log collectors (Loki, Fluent Bit, Vector, Elastic); see logging.md."),
        .choice(
            "logLevel", "The least severe level logged.", \.logLevel,
            details: "debug adds each pass, trace each health probe; see logging.md."),
    ]

    /// The discovery publisher's part of the configuration.
    public var discovery: DiscoveryPublisher.Configuration {
        DiscoveryPublisher.Configuration(
            outputs: discoveryOutputs, reloadCommand: discoveryReloadCommand, reloadTimeout: discoveryReloadTimeout,
            port: discoveryPort)
    }

    /// The agent roster's part of the configuration.
    public var agents: AgentRoster.Settings {
        AgentRoster.Settings(required: requiredAgents, timeout: agentTimeout)
    }
}

extension SettingType where Value == [APIToken] {
    /// Tokens as `NAME scope=read|operate file=PATH`, comma-separated.
    static var apiTokens: Self {
        var tokens = Self(
            name: "tokens",
            parse: { text in APIToken.list(text).mapError { SettingValueProblem($0.message) } },
            format: { $0.isEmpty ? nil : $0.map(\.description).joined(separator: ",") })
        tokens.acceptsList = true
        return tokens
    }
}

extension SettingType where Value == [String] {
    /// Agent names (letters, digits, `.`, `_`, `-`, at most 63), comma-separated or a YAML list.
    static var agentNames: Self {
        var names = Self(
            name: "names",
            parse: { text in
                let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                if let bad = names.first(where: { !AgentReport.isValidName($0) }) {
                    return .failure(
                        SettingValueProblem(
                            "'\(bad)' is not an agent's name (letters, digits, '.', '_' and '-', at most 63, not "
                                + "starting with '.')"))
                }
                return .success(Array(NSOrderedSet(array: names)).compactMap { $0 as? String })
            }, format: { $0.isEmpty ? nil : $0.joined(separator: ",") })
        names.acceptsList = true
        return names
    }
}

extension SettingType where Value == ListenAddress {
    /// `host:port`.
    static var listenAddress: Self {
        Self(
            name: "host:port", expected: "host:port such as 0.0.0.0:9443", parse: { ListenAddress($0) },
            format: { $0.description })
    }
}

extension SettingType where Value == [DiscoveryOutput] {
    /// `nginx:PATH`, `haproxy:PATH` or `template:TEMPLATE:PATH`, comma-separated.
    static var discoveryOutputs: Self {
        Self(
            name: "outputs",
            parse: { text in DiscoveryOutput.list(text).mapError { SettingValueProblem($0.message) } },
            format: { $0.isEmpty ? nil : $0.map(\.description).joined(separator: ",") })
    }
}

extension SettingType {
    /// Items of one line each (`WORD key=value…`), comma-separated, or a YAML list in the file.
    static func lines<Item: CustomStringConvertible, Failure: Error & CustomStringConvertible>(
        _ name: String, _ list: @escaping @Sendable (String) -> Result<[Item], Failure>
    ) -> Self where Value == [Item] {
        var lines = Self(
            name: name, parse: { text in list(text).mapError { SettingValueProblem($0.description) } },
            format: { $0.isEmpty ? nil : $0.map(\.description).joined(separator: ",") })
        lines.acceptsList = true
        return lines
    }
}

extension SettingType where Value == [NotificationTarget] {
    /// Targets as `PROVIDER key=value…`, comma-separated (docs/notifications.md).
    static var notifications: Self { .lines("targets", NotificationTarget.list) }
}

extension SettingType where Value == [FreezeWindow] {
    /// Windows as `NAME key=value…`, comma-separated (docs/operations.md, "Freeze windows").
    static var freezeWindows: Self { .lines("windows", FreezeWindow.list) }
}

extension SettingType where Value == [String] {
    /// A command as argv: words split at spaces, or a JSON array of strings.
    static var command: Self {
        Self(
            name: "argv",
            parse: { text in DiscoveryOutput.command(text).mapError { SettingValueProblem($0.message) } },
            format: { $0.isEmpty ? nil : $0.joined(separator: " ") })
    }
}
