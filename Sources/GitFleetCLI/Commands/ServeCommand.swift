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

    /// Every setting of docs/configuration.md, as `--poll-interval 10s` and so on.
    @OptionGroup var settings: SettingFlags<EverySetting>

    func run() async throws {
        let configuration = try ControllerConfiguration.load(file: config, flags: settings.values)
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
        metrics.setStarted(at: Date())
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
                    host: configuration.listenHost, port: configuration.listenPort, webhookSecretFiles: secrets,
                    tls: TLSFiles(certificate: configuration.tlsCertFile, key: configuration.tlsKeyFile),
                    apiTokens: configuration.apiTokens, webhookAddress: configuration.webhookListen,
                    webhookTLS: TLSFiles(
                        certificate: configuration.webhookTlsCertFile, key: configuration.webhookTlsKeyFile)),
                endpoint: ControllerEndpointAdapter(
                    controller: controller, registry: resources.registry, runtime: resources.runtime),
                metrics: metrics, logger: logger.part("http"))
        } catch {
            logger.critical("the HTTP server cannot start: \(error)")
            throw CommandFailure()
        }
        var groupConfiguration = ServiceGroupConfiguration(
            // The event log after the server: the group stops services in reverse order, so the live event
            // streams end before the HTTP server waits for its requests to finish.
            services: (controller.services + [server] + [server.webhookServer].compactMap { $0 } + [controller.events])
                .map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // The grace period: a pass in flight ends at its safe point and the last notes are written within it;
        // past it every part still running is cancelled.
        groupConfiguration.maximumGracefulShutdownDuration = Self.gracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        if configuration.apiTokens.isEmpty && configuration.allowUnauthenticated
            && !ListenAddress.isLoopback(configuration.listenHost)
        {
            logger.warning(
                """
                allowUnauthenticated: the API on \(configuration.listenHost) needs no token; anyone who reaches it \
                can read and act on the fleet
                """)
        }
        Task {
            if let port = try? await server.listeningPort() {
                controller.address.listening(host: configuration.listenHost, port: port)
                logger.notice("listening on \(configuration.listenHost):\(port)")
            }
        }
        if let webhooks = server.webhookServer, let address = configuration.webhookListen {
            Task {
                if let port = try? await webhooks.listeningPort() {
                    logger.notice("serving webhooks on \(ListenAddress(host: address.host, port: port))")
                }
            }
        }
        try await group.run()
    }
}
