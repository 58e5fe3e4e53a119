import ArgumentParser
import FleetController
import FleetModel
import Foundation
import Logging
import ServiceLifecycle

/// `gitfleet agent`: a discovery agent on a load-balancer host (or beside nginx as a sidecar). It follows the
/// controller's serving set, renders and reloads the local outputs, and reports to every controller replica what
/// its outputs show, so drains wait for it (``DiscoveryAgent``).
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Follow a controller's discovery on a load-balancer host: render, reload, report.",
        discussion: """
            Long-polls GET /api/v1/discovery of the first --controller that answers (the next one on an error), \
            writes the outputs atomically, runs the reload command, and POSTs what its outputs show to every \
            --controller. Every flag can also be given as GITFLEET_AGENT_<FLAG> (GITFLEET_AGENT_RELOAD_TIMEOUT; \
            lists comma-separated); a flag wins. SIGTERM or SIGINT stops it and leaves the outputs as they are. \
            See docs/cli.md.
            """
    )

    @Option(name: .long, help: "The agent's name: letters, digits, '.', '_' and '-', at most 63.")
    var name: String?

    @Option(
        name: .long,
        help: ArgumentHelp("A controller replica's URL (http://host:port); repeat for every replica.", valueName: "url")
    )
    var controller: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "An output: nginx:PATH, haproxy:PATH or template:TEMPLATE:PATH; repeat for more.", valueName: "output"))
    var output: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The command that makes the load balancer read the outputs: words, or a JSON array.", valueName: "argv"))
    var reloadCommand: String?

    @Option(
        name: .long, help: ArgumentHelp("How long the reload command may run. (default: 10s)", valueName: "duration"))
    var reloadTimeout: String?

    @Option(name: .long, help: ArgumentHelp("The named instance port the outputs point at. (default: http)"))
    var port: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A file holding an API token of scope agent named as the agent, sent as `Authorization: Bearer …`.",
            valueName: "file"))
    var tokenFile: String?

    @Option(
        name: .long,
        help: ArgumentHelp("How long one long poll waits for a change, up to 5m. (default: 30s)", valueName: "duration")
    )
    var wait: String?

    @Option(
        name: .long,
        help: ArgumentHelp("How often the agent reports when nothing changes. (default: 5s)", valueName: "duration"))
    var heartbeat: String?

    @Option(
        name: .long,
        help: ArgumentHelp("The least severe level logged: trace … critical. (default: notice)", valueName: "level"))
    var logLevel: String?

    @Option(name: .long, help: ArgumentHelp("text or json. (default: text)", valueName: "format"))
    var logFormat: String?

    func run() async throws {
        // A bad value is a `ValidationError`: a usage error (exit 64) naming its flag or variable.
        let settings = try settings(environment: ProcessInfo.processInfo.environment)
        ControllerLogging.bootstrap(format: settings.logFormat, level: settings.logLevel)
        var logger = Logger(label: "gitfleet.agent")
        logger[metadataKey: "agent"] = "\(settings.agent.name)"
        let agent = DiscoveryAgent(configuration: settings.agent, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: agent)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// What the agent runs with, and how it logs.
    struct Settings: Sendable {
        var agent: DiscoveryAgent.Configuration
        var logLevel: Logger.Level
        var logFormat: LogFormat
    }

    /// The flags, else `GITFLEET_AGENT_<FLAG>` of `environment`, else the defaults; a bad value is a
    /// `ValidationError` naming the flag or the variable it came from and what was expected.
    func settings(environment: [String: String]) throws -> Settings {
        /// The flag's value, else the variable's; with where it came from, as errors name it.
        func given(_ flag: String, _ value: String?) -> (text: String, source: String)? {
            if let value { return (value, "--\(flag)") }
            let variable = "GITFLEET_AGENT_" + flag.uppercased().replacingOccurrences(of: "-", with: "_")
            return environment[variable].map { ($0, variable) }
        }
        /// A repeated flag's values, else the variable's comma-separated items.
        func list(_ flag: String, _ values: [String]) -> (items: [String], source: String) {
            let (text, source) = values.isEmpty ? (given(flag, nil) ?? ("", "--\(flag)")) : ("", "--\(flag)")
            let items = values.isEmpty ? text.split(separator: ",").map(String.init) : values
            return (items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }, source)
        }
        func duration(_ flag: String, _ value: String?, default fallback: Duration) throws -> Duration {
            guard let (text, source) = given(flag, value) else { return fallback }
            switch SettingType.duration.value(of: text) {
            case .success(let duration): return duration
            case .failure(let problem): throw ValidationError("\(source): \(problem.message)")
            }
        }

        guard let (name, nameSource) = given("name", name) else {
            throw ValidationError("agent needs --name NAME (or GITFLEET_AGENT_NAME)")
        }
        guard PortableName.isValid(name, maxLength: 63) else {
            throw ValidationError(
                "\(nameSource): '\(name)' is not an agent name (expected letters, digits, '.', '_' and '-', at most "
                    + "63, not starting with '.')")
        }

        let (controllers, controllerSource) = list("controller", controller)
        guard !controllers.isEmpty else {
            throw ValidationError("agent needs --controller URL (or GITFLEET_AGENT_CONTROLLER), one for every replica")
        }
        let bases = try controllers.map { text in
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host != nil, url.query == nil
            else {
                throw ValidationError(
                    "\(controllerSource): '\(text)' is not a controller URL (expected http://HOST:PORT or https://…)")
            }
            return text.hasSuffix("/") ? String(text.dropLast()) : text
        }

        let (outputTexts, outputSource) = list("output", output)
        guard !outputTexts.isEmpty else {
            throw ValidationError(
                "agent needs --output nginx:PATH, haproxy:PATH or template:TEMPLATE:PATH (or GITFLEET_AGENT_OUTPUT)")
        }
        var outputs: [DiscoveryOutput] = []
        for text in outputTexts {
            switch DiscoveryOutput.list(text) {
            case .success(let parsed): outputs += parsed
            case .failure(let error): throw ValidationError("\(outputSource): \(error.message)")
            }
        }

        var reload: [String] = []
        if let (text, source) = given("reload-command", reloadCommand) {
            switch DiscoveryOutput.command(text) {
            case .success(let argv): reload = argv
            case .failure(let error): throw ValidationError("\(source): \(error.message)")
            }
        }

        var port = "http"
        if let (text, source) = given("port", self.port) {
            guard DNSLabel.isValid(text) else {
                throw ValidationError("\(source): '\(text)' is not a port name (expected \(DNSLabel.rule))")
            }
            port = text
        }

        var tokenFile: String?
        if let (path, source) = given("token-file", self.tokenFile) {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ValidationError("\(source): cannot read '\(path)' (expected a file holding the agent's token)")
            }
            tokenFile = path
        }

        let reloadTimeout = try duration("reload-timeout", reloadTimeout, default: .seconds(10))
        let wait = try duration("wait", wait, default: .seconds(30))
        if wait > .seconds(300), let (_, source) = given("wait", self.wait) {
            throw ValidationError(
                "\(source): \(wait.manifestDescription) is longer than the controller waits (at most 5m)")
        }
        let heartbeat = try duration("heartbeat", heartbeat, default: .seconds(5))

        var level = Logger.Level.notice
        if let (text, source) = given("log-level", logLevel) {
            guard let parsed = Logger.Level(rawValue: text) else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("\(source): expected one of \(levels), got '\(text)'")
            }
            level = parsed
        }
        var format = LogFormat.text
        if let (text, source) = given("log-format", logFormat) {
            guard let parsed = LogFormat(rawValue: text) else {
                throw ValidationError("\(source): expected text or json, got '\(text)'")
            }
            format = parsed
        }

        return Settings(
            agent: DiscoveryAgent.Configuration(
                name: name, controllers: bases,
                publisher: DiscoveryPublisher.Configuration(
                    outputs: outputs, reloadCommand: reload, reloadTimeout: reloadTimeout, port: port),
                tokenFile: tokenFile, wait: wait, heartbeat: heartbeat),
            logLevel: level, logFormat: format)
    }
}
