import ArgumentParser
import FleetController
import FleetModel
import FleetRegistry
import FleetRuntime
import FleetServer
import Foundation
import Logging
import ServiceLifecycle

/// `gitfleet serve`: the controller as a long-running service.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the controller: watch the repository, converge on every new commit, annotate it.",
        discussion: """
            Every setting can come from --config FILE (YAML), from a GITFLEET_* environment variable, or from a \
            flag; a flag wins over the environment, which wins over the file. See docs/configuration.md.
            """
    )

    @Option(name: .long, help: "A YAML configuration file.")
    var config: String?

    @Option(name: .customLong("repo"), help: "The fleet repository to watch: a URL or a local path.")
    var repo: String?

    @Option(name: .customLong("branch"), help: "The branch to deploy (default main).")
    var branch: String?

    @Option(name: .customLong("path"), help: "The fleet's folder inside the repository.")
    var path: String?

    @Option(name: .customLong("services"), help: "The folder of service manifests, relative to --path.")
    var services: String?

    @Option(name: .customLong("cache-dir"), help: "Where clones of the repository are cached.")
    var cacheDir: String?

    @Option(name: .customLong("token-file"), help: "A file holding an HTTPS access token.")
    var tokenFile: String?

    @Option(name: .customLong("ssh-key"), help: "A private SSH key for the remote.")
    var sshKey: String?

    @Option(name: .customLong("known-hosts"), help: "The known_hosts file the remote's host key must be in.")
    var knownHosts: String?

    @Option(name: .customLong("poll-interval"), help: "How often the remote head is checked (default 30s).")
    var pollInterval: String?

    @Option(
        name: .customLong("resync-interval"), help: "How often the fleet is reconciled with no new commit (default 5m)."
    )
    var resyncInterval: String?

    @Option(
        name: .customLong("git-timeout"),
        help: "How long one network operation on the repository may take before it is abandoned (default 2m).")
    var gitTimeout: String?

    @Option(name: .customLong("state-dir"), help: "The state directory (default .gitfleet/ in the working directory).")
    var stateDir: String?

    @Option(name: .customLong("controller-id"), help: "This controller's name in status annotations.")
    var controllerId: String?

    @Option(name: .customLong("runtime-dir"), help: "The process runtime's folder (default: the state directory).")
    var runtimeDir: String?

    @Option(name: .customLong("registry"), help: "The live registry: sqlite (default) or etcd.")
    var registry: String?

    @Option(name: .customLong("etcd-endpoints"), help: "etcd client URLs, comma-separated.")
    var etcdEndpoints: String?

    @Option(name: .customLong("etcd-prefix"), help: "The key prefix of this fleet in etcd (default /gitfleet).")
    var etcdPrefix: String?

    @Option(name: .customLong("etcd-ca-file"), help: "The CA (PEM) of etcd's server certificates.")
    var etcdCaFile: String?

    @Option(name: .customLong("etcd-cert-file"), help: "The client certificate (PEM) for etcd.")
    var etcdCertFile: String?

    @Option(name: .customLong("etcd-key-file"), help: "The client certificate's key (PEM).")
    var etcdKeyFile: String?

    @Option(name: .customLong("etcd-username"), help: "The etcd user.")
    var etcdUsername: String?

    @Option(name: .customLong("etcd-password-file"), help: "A file holding the etcd user's password.")
    var etcdPasswordFile: String?

    @Option(name: .customLong("lease-ttl"), help: "The leader lease (default 15s).")
    var leaseTtl: String?

    @Option(name: .customLong("notes-ref"), help: "The notes ref for status annotations (default refs/notes/gitfleet).")
    var notesRef: String?

    @Option(name: .customLong("push-notes"), help: "Push status annotations to the remote (default true).")
    var pushNotes: String?

    @Option(name: .customLong("listen-host"), help: "The address the HTTP server binds (default 127.0.0.1).")
    var listenHost: String?

    @Option(name: .customLong("listen-port"), help: "The HTTP port (default 8080; 0 picks a free one).")
    var listenPort: String?

    @Option(name: .customLong("github-secret-file"), help: "The GitHub webhook secret file.")
    var githubSecretFile: String?

    @Option(name: .customLong("gitlab-secret-file"), help: "The GitLab webhook token file.")
    var gitlabSecretFile: String?

    @Option(name: .customLong("gitea-secret-file"), help: "The Gitea/Forgejo webhook secret file.")
    var giteaSecretFile: String?

    @Option(name: .customLong("generic-secret-file"), help: "The generic HMAC webhook secret file.")
    var genericSecretFile: String?

    @Option(name: .customLong("require-signed-commits"), help: "Deploy only commits signed by an allowed signer.")
    var requireSignedCommits: String?

    @Option(name: .customLong("allowed-signers-file"), help: "SSH allowed_signers for signed commits.")
    var allowedSignersFile: String?

    @Option(name: .customLong("gpg-home"), help: "A GnuPG home holding the keys trusted to sign commits.")
    var gpgHome: String?

    @Option(
        name: .customLong("refuse-history-rewrite"),
        help: "Refuse a head that does not descend from the last deployed commit.")
    var refuseHistoryRewrite: String?

    @Option(
        name: .customLong("discovery-outputs"),
        help: "Files rendered from the serving set: nginx:PATH, haproxy:PATH, template:TEMPLATE:PATH (comma-separated)."
    )
    var discoveryOutputs: String?

    @Option(
        name: .customLong("discovery-reload-command"),
        help: "Run after the outputs change (argv: words, or a JSON array); rollouts wait until it exits 0.")
    var discoveryReloadCommand: String?

    @Option(name: .customLong("discovery-reload-timeout"), help: "How long the reload command may run (default 10s).")
    var discoveryReloadTimeout: String?

    @Option(name: .customLong("discovery-port"), help: "The named port discovery points clients at (default http).")
    var discoveryPort: String?

    @Option(name: .customLong("runtime"), help: "Where instances run: process or docker (default process).")
    var runtime: String?

    @Option(name: .customLong("docker-hosts"), help: "Docker Engine API hosts, comma-separated (unix:// or tcp://).")
    var dockerHosts: String?

    @Option(name: .customLong("docker-ca-file"), help: "The CA certificate for Docker hosts' TLS.")
    var dockerCaFile: String?

    @Option(name: .customLong("docker-cert-file"), help: "The client certificate for Docker hosts.")
    var dockerCertFile: String?

    @Option(name: .customLong("docker-key-file"), help: "The private key of --docker-cert-file.")
    var dockerKeyFile: String?

    @Option(
        name: .customLong("runtime-scope"),
        help: "The fleet the runtime acts for (default: derived from the registry's location).")
    var runtimeScope: String?

    @Option(name: .customLong("log-format"), help: "How log lines are written: text or json (default text).")
    var logFormat: String?

    @Option(name: .customLong("log-level"), help: "The least severe level logged, trace to critical (default info).")
    var logLevel: String?

    /// The settings given as flags, by their configuration key.
    var flags: [String: String] {
        let given: [(String, String?)] = [
            ("repo", repo),
            ("branch", branch),
            ("path", path),
            ("services", services),
            ("cacheDir", cacheDir),
            ("tokenFile", tokenFile),
            ("sshKey", sshKey),
            ("knownHosts", knownHosts),
            ("pollInterval", pollInterval),
            ("resyncInterval", resyncInterval),
            ("gitTimeout", gitTimeout),
            ("stateDir", stateDir),
            ("controllerId", controllerId),
            ("runtimeDir", runtimeDir),
            ("registry", registry),
            ("etcdEndpoints", etcdEndpoints),
            ("etcdPrefix", etcdPrefix),
            ("etcdCaFile", etcdCaFile),
            ("etcdCertFile", etcdCertFile),
            ("etcdKeyFile", etcdKeyFile),
            ("etcdUsername", etcdUsername),
            ("etcdPasswordFile", etcdPasswordFile),
            ("leaseTtl", leaseTtl),
            ("notesRef", notesRef),
            ("pushNotes", pushNotes),
            ("listenHost", listenHost),
            ("listenPort", listenPort),
            ("githubSecretFile", githubSecretFile),
            ("gitlabSecretFile", gitlabSecretFile),
            ("giteaSecretFile", giteaSecretFile),
            ("genericSecretFile", genericSecretFile),
            ("requireSignedCommits", requireSignedCommits),
            ("allowedSignersFile", allowedSignersFile),
            ("gpgHome", gpgHome),
            ("refuseHistoryRewrite", refuseHistoryRewrite),
            ("discoveryOutputs", discoveryOutputs),
            ("discoveryReloadCommand", discoveryReloadCommand),
            ("discoveryReloadTimeout", discoveryReloadTimeout),
            ("discoveryPort", discoveryPort),
            ("runtime", runtime),
            ("dockerHosts", dockerHosts),
            ("dockerCaFile", dockerCaFile),
            ("dockerCertFile", dockerCertFile),
            ("dockerKeyFile", dockerKeyFile),
            ("runtimeScope", runtimeScope),
            ("logFormat", logFormat),
            ("logLevel", logLevel),
        ]
        return Dictionary(uniqueKeysWithValues: given.compactMap { key, value in value.map { (key, $0) } })
    }

    func run() async throws {
        let configuration = try ControllerConfiguration.load(file: config, flags: flags)
        ControllerLogging.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        var logger = Logger(label: "gitfleet")
        // Every line says which replica wrote it; each part's logger inherits this.
        logger[metadataKey: "controller"] = "\(configuration.controllerID)"
        do {
            try await ControllerBootstrap.withResources(configuration, logger: logger) { resources in
                try await Self.serve(configuration, resources: resources, logger: logger)
            }
        } catch let error as BootstrapError {
            // Through the logger, so that with json even this last line is one a collector reads.
            logger.critical("\(error)", metadata: ["setting": "\(error.setting)"])
            throw CommandFailure()
        }
    }

    /// How long SIGTERM or SIGINT waits for the parts to stop on their own.
    static let gracePeriod: Duration = .seconds(8)

    /// Runs the controller's parts and the HTTP server in one service group until SIGTERM or SIGINT.
    static func serve(_ configuration: ControllerConfiguration, resources: ControllerResources, logger: Logger)
        async throws
    {
        let metrics = FleetMetrics()
        metrics.setBuildInfo(version: GitFleetCommand.release, commit: GitFleetCommand.commit)
        let controller = ControllerBootstrap.controller(
            configuration, resources: resources, logger: logger, metrics: metrics)
        var secrets: [WebhookProvider: String] = [:]
        secrets[.github] = configuration.githubSecretFile
        secrets[.gitlab] = configuration.gitlabSecretFile
        secrets[.gitea] = configuration.giteaSecretFile
        secrets[.generic] = configuration.genericSecretFile
        let server: ControllerHTTPServer
        do {
            server = try ControllerHTTPServer(
                configuration: ServerConfiguration(
                    host: configuration.listenHost, port: configuration.listenPort, webhookSecretFiles: secrets),
                endpoint: ControllerEndpointAdapter(controller: controller, registry: resources.registry),
                metrics: metrics, logger: logger.part("http"))
        } catch {
            logger.critical("the HTTP server cannot start: \(error)")
            throw CommandFailure()
        }
        var groupConfiguration = ServiceGroupConfiguration(
            // The event log after the server: the group stops services in reverse order, so the live event
            // streams end before the HTTP server waits for its requests to finish.
            services: (controller.services + [server, controller.events]).map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // The grace period: a pass in flight ends at its safe point and the last notes are written within it;
        // past it every part still running is cancelled.
        groupConfiguration.maximumGracefulShutdownDuration = Self.gracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        Task {
            if let port = try? await server.listeningPort() {
                logger.notice("listening on \(configuration.listenHost):\(port)")
            }
        }
        try await group.run()
    }
}
