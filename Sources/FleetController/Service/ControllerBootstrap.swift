import FleetGit
import FleetModel
import FleetRegistry
import FleetRuntime
import Foundation
import Logging

/// What a command opens to act on the fleet: the registry (with etcd, the election a writer must win
/// first) and the runtime. ``close()`` releases both; ``ControllerBootstrap/withResources(_:logger:_:)``
/// calls it on every exit path.
public struct ControllerResources: Sendable {
    public let registry: any Registry
    public let runtime: any Runtime
    public let leadership: LeaderElection?
    /// The identities of `secretIdentityFile`, read once at start; nil when the setting is not set.
    public var secretKeyring: SecretKeyring? = nil
    /// Signs the notes the controller writes (`noteSigningKey`), checked once at start; nil writes them unsigned.
    public var noteSigner: NoteSigner? = nil

    public func close() async {
        await runtime.close()
        try? await registry.close()
    }
}

/// A setting that stops the controller's parts from being built, named so the operator can fix it.
public struct BootstrapError: Error, Sendable, CustomStringConvertible {
    public var setting: String
    public var message: String
    public var description: String { "\(setting): \(message)" }
}

/// The one way every command builds the controller's parts from a ``ControllerConfiguration``: `serve`,
/// `apply`, `status`, `retry` and `adopt` open the same registry, election and runtime the same way.
public enum ControllerBootstrap {
    /// Opens the registry and runtime `configuration` names, runs `body` with them and closes them, whether
    /// `body` returns or throws.
    public static func withResources<Result: Sendable>(
        _ configuration: ControllerConfiguration, logger: Logger,
        _ body: (ControllerResources) async throws -> Result
    ) async throws -> Result {
        var secretKeyring: SecretKeyring? = nil
        if let path = configuration.secretIdentityFile {
            do {
                secretKeyring = try SecretKeyring.load(identityFile: path)
            } catch {
                throw BootstrapError(setting: "secretIdentityFile", message: error.description)
            }
        }
        let noteSigner = try await noteSigner(configuration)
        let (registry, leadership) = try await openRegistry(configuration, logger: logger)
        let runtime: any Runtime
        do {
            runtime = try configuration.makeRuntime()
        } catch {
            try? await registry.close()
            throw BootstrapError(setting: "runtime", message: "the runtime cannot be set up: \(error)")
        }
        let resources = ControllerResources(
            registry: registry, runtime: runtime, leadership: leadership, secretKeyring: secretKeyring,
            noteSigner: noteSigner)
        do {
            let result = try await body(resources)
            await resources.close()
            return result
        } catch {
            await resources.close()
            throw error
        }
    }

    /// The signer of `noteSigningKey`, after signing a probe with it: a key that is missing, encrypted or readable
    /// by others stops the start with the setting named, rather than leaving every note unsigned.
    static func noteSigner(_ configuration: ControllerConfiguration) async throws -> NoteSigner? {
        guard let keyFile = configuration.noteSigningKey else { return nil }
        do {
            let signer = try NoteSigner(keyFile: keyFile)
            _ = try await signer.signature(of: "gitfleet checks that it can sign its notes\n")
            return signer
        } catch let unavailable as BoundedTool.Unavailable {
            throw BootstrapError(setting: "noteSigningKey", message: unavailable.message)
        } catch {
            throw BootstrapError(setting: "noteSigningKey", message: "\(error)")
        }
    }

    /// The configured registry; with etcd, also the election this replica takes part in.
    public static func openRegistry(
        _ configuration: ControllerConfiguration, logger: Logger
    ) async throws -> (any Registry, LeaderElection?) {
        switch configuration.registry {
        case .sqlite:
            let directory = configuration.resolvedStateDirectory
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                return (try SQLiteRegistry(stateDirectory: URL(fileURLWithPath: directory)), nil)
            } catch {
                throw BootstrapError(
                    setting: "stateDir", message: "the registry in \(directory) cannot be opened: \(error)")
            }
        case .etcd:
            var credentials: EtcdConfiguration.Credentials? = nil
            if let username = configuration.etcdUsername, let passwordFile = configuration.etcdPasswordFile {
                guard let password = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                    throw BootstrapError(
                        setting: "etcdPasswordFile", message: "cannot read the etcd password file \(passwordFile)")
                }
                credentials = .init(username: username, password: password.trimmingCharacters(in: .newlines))
            }
            let files = TLSFiles(
                caFile: configuration.etcdCaFile, certificateFile: configuration.etcdCertFile,
                keyFile: configuration.etcdKeyFile)
            let registry: EtcdRegistry
            do {
                registry = try EtcdRegistry(
                    configuration: EtcdConfiguration(
                        endpoints: configuration.etcdEndpoints, prefix: configuration.etcdPrefix,
                        credentials: credentials, tls: files.isEmpty ? nil : files,
                        requestTimeout: min(.seconds(10), configuration.leaseTTL / 3)))
            } catch {
                throw BootstrapError(setting: "etcdEndpoints", message: "the etcd registry cannot be set up: \(error)")
            }
            let logger = logger.part("election")
            let identity = configuration.controllerID
            let election = LeaderElection(registry: registry, identity: identity, ttl: configuration.leaseTTL) { role in
                switch role {
                case .leader:
                    logger.info("leader election: \(identity) leads", metadata: ["leader": "\(identity)"])
                case .follower(let leader?):
                    logger.info("leader election: \(identity) follows \(leader)", metadata: ["leader": "\(leader)"])
                case .follower(nil):
                    logger.info("leader election: \(identity) follows; no leader is known yet")
                }
            }
            return (registry, election)
        }
    }

    /// The controller's parts over `resources`, wired as ``Controller`` describes. Each part logs through a
    /// logger of its own, labelled `<logger's label>.<part>` (`gitfleet.converger`), with `logger`'s metadata.
    public static func controller(
        _ configuration: ControllerConfiguration, resources: ControllerResources, logger: Logger,
        metrics: FleetMetrics = FleetMetrics(), tick: Duration = .milliseconds(200), events: EventLog? = nil
    ) -> Controller {
        let events = events ?? EventLog(logger: logger.part("events"), metrics: metrics)
        let location = TrackedRepository.Location(
            repository: configuration.repository, branch: configuration.branch,
            credentials: configuration.credentials,
            cacheRoot: configuration.cacheDirectory ?? "\(configuration.resolvedStateDirectory)/repositories",
            layout: configuration.layout)
        let repository = TrackedRepository(
            location: location, networkTimeout: configuration.gitTimeout, secretKeyring: resources.secretKeyring,
            secretsRequired: true)
        let discovery = DiscoveryPublisher(
            configuration: configuration.discovery, metrics: metrics, events: events, logger: logger.part("discovery"))
        let agents = AgentRoster(
            settings: configuration.agents, discovery: discovery, metrics: metrics, events: events,
            logger: logger.part("agents"))
        let converger = Converger(
            registry: resources.registry, runtime: resources.runtime, options: .init(tick: tick), metrics: metrics,
            discovery: discovery, events: events, logger: logger.part("converger"),
            secrets: resources.secretKeyring.map { RepositorySecrets(repository: repository, keyring: $0) },
            agents: agents)
        let observer = InstanceObserver(
            runtime: resources.runtime, converger: converger, logger: logger.part("observer"))
        let watcher = RepositoryWatcher(
            repository: repository, pollInterval: configuration.pollInterval, leadership: resources.leadership,
            metrics: metrics, logger: logger.part("watcher"))
        let stateDirectory = configuration.resolvedStateDirectory
        // Read once: admission checks new heads against it, the reconcile loop reports and updates it.
        let lastDeployed = ControllerState.load(from: stateDirectory).lastDeployed
        let admission = CommitAdmission(
            repository: repository, runtime: resources.runtime,
            policy: CommitAdmission.Policy(
                signatures: SignaturePolicy(
                    required: configuration.requireSignedCommits,
                    allowedSignersFile: configuration.allowedSignersFile, gpgHome: configuration.gpgHome),
                refuseHistoryRewrite: configuration.refuseHistoryRewrite),
            lastDeployed: lastDeployed, commits: watcher.commits,
            metrics: metrics, logger: logger.part("admission"))
        let annotations = AnnotationWriter(
            repository: repository, notesRef: configuration.notesRef,
            pushes: location.isRemote && configuration.pushNotes, author: configuration.controllerID,
            signer: resources.noteSigner, metrics: metrics, logger: logger.part("notes"))
        let reconciler = Reconciler(
            options: .init(
                resyncInterval: configuration.resyncInterval, tick: tick, stateDirectory: stateDirectory,
                controllerID: configuration.controllerID, lastDeployed: lastDeployed,
                freezeWindows: configuration.freezeWindows),
            registry: resources.registry, converger: converger, discovery: discovery,
            leadership: resources.leadership, admission: admission, annotations: annotations, observer: observer,
            metrics: metrics, logger: logger.part("reconciler"), events: events)
        let address = ControllerAddress(externalURL: configuration.externalURL)
        let notifier = Notifier(
            targets: configuration.notifications, events: events, address: address, metrics: metrics,
            logger: logger.part("notifications"))
        return Controller(
            configuration: configuration, repository: repository, watcher: watcher, admission: admission,
            reconciler: reconciler, annotations: annotations, observer: observer, discovery: discovery,
            metrics: metrics, leadership: resources.leadership, events: events, notifier: notifier, address: address,
            agents: agents)
    }
}
