import ArgumentParser
import FleetController
import FleetModel
import FleetRegistry
import FleetServer
import Foundation

/// `gitfleet suspend [SERVICE]`: no new spec rolls out to the service (without one, to any service, those Git adds
/// later included) until `gitfleet resume`; healing goes on.
struct SuspendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend",
        abstract: "Hold a service at the spec it runs: new commits do not roll out to it until it is resumed.",
        discussion: """
            Without SERVICE the whole fleet is suspended, services Git adds later included. Self-healing goes on: an instance of a suspended service that dies is still replaced, at the spec the \
            service runs. \(ServiceControlOptions.discussion)
            """
    )

    @OptionGroup var control: ServiceControlOptions

    func validate() throws { try control.validate() }

    func run() async throws { try await control.run(.suspend) }
}

/// `gitfleet resume [SERVICE]`: lifts a suspension (without a service, the fleet's); what Git asks for rolls out at
/// once.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Lift a service's suspension (without SERVICE, the fleet's): what Git asks for rolls out now.",
        discussion: ServiceControlOptions.discussion
    )

    @OptionGroup var control: ServiceControlOptions

    func validate() throws { try control.validate() }

    func run() async throws { try await control.run(.resume) }
}

/// `gitfleet rollback SERVICE`: back to the last good spec now, without a commit, until a commit changes it.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Roll a service back to its last good spec now, without a Git commit.",
        discussion: """
            The service is replaced health-gated like in any rollout, with the last good spec pinned to its image \
            digest, and stays there until a commit changes its desired spec; then the new spec rolls out. \
            \(ServiceControlOptions.discussion)
            """
    )

    @OptionGroup var control: ServiceControlOptions

    func validate() throws {
        try control.validate()
        if control.service == nil { throw ValidationError("rollback needs the SERVICE to roll back") }
    }

    func run() async throws { try await control.run(.rollback) }
}

/// What `suspend`, `resume` and `rollback` share: the service, the reason, and where to act — the running
/// controller (`--server`), or the registry with its own credentials.
struct ServiceControlOptions: ParsableArguments {
    static let discussion = """
        With --server URL the running controller does it and records it (an event, and a line in the note of the \
        commit the fleet is at) under the API token's name; otherwise the registry named by --state-dir or \
        --config is written as cli:$USER, and a running controller acts on it at once.
        """

    @Argument(help: "The service; without it, suspend and resume act on the whole fleet.")
    var service: String?

    @Option(name: .long, help: "Why, in a sentence (at most 1000 characters); recorded with the action.")
    var reason: String?

    @OptionGroup var location: RegistryLocationOptions
    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        try serverOptions.refuseRegistryFlags(of: location)
        if let reason, reason.count > Attribution.maximumReasonLength {
            throw ValidationError(
                "--reason has \(reason.count) characters; at most \(Attribution.maximumReasonLength) are kept")
        }
    }

    /// The local user, as the registry path records who acted: there is no API token to name.
    static var localUser: String {
        let environment = ProcessInfo.processInfo.environment
        return "cli:" + (environment["USER"] ?? environment["LOGNAME"] ?? NSUserName())
    }

    func run(_ action: ServiceControl.Action) async throws {
        let reason = reason.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        let subject = service ?? "the fleet"
        if let client = try serverOptions.client() {
            let answer: ControllerClient.ActionAnswer<ActionReply>
            do {
                answer = try await client.control(action, service: service, reason: reason)
            } catch let failure as ControllerClient.Failure {
                Terminal.error("error: \(failure)")
                throw CommandFailure()
            }
            switch answer {
            case .done(let reply): Terminal.out(reply.message)
            case .refused(let why): try refuse(why)
            case .unknownService: try refuse("the controller has no rollout of '\(subject)'")
            case .notLeader(let leader):
                try refuse("the controller stands by; ask the one that leads\(leader.map { " (\($0))" } ?? "")")
            }
            return
        }
        let attribution = Attribution(by: Self.localUser, at: Date(), reason: reason)
        let outcome = try await ControllerBootstrap.forCommand(try location.configuration(mustExist: true)) {
            resources in
            // Compare-and-swap, so a controller that changed the state meanwhile is not overwritten.
            if let service {
                return try await ServiceControl.apply(
                    action, service: service, attribution: attribution, in: resources.registry)
            }
            return try await ServiceControl.applyToFleet(action, attribution: attribution, in: resources.registry)
        }
        switch outcome {
        case .suspended: Terminal.out("\(subject) is suspended: new specs wait until it is resumed; healing goes on")
        case .resumed(let lifted):
            Terminal.out("\(subject) is resumed (suspended by \(lifted.by)): what Git asks for rolls out")
        case .pinned(let pin):
            Terminal.out(
                "\(subject) rolls back to \(pin.specHash.short) (\(pin.spec.image)) and stays there until a commit "
                    + "changes it")
        case .refused(let why): try refuse(why)
        case .unknownService: try refuse("the registry has no rollout of '\(subject)'")
        case .notLeader(let leader):
            try refuse("the controller stands by; ask the one that leads\(leader.map { " (\($0))" } ?? "")")
        }
    }

    private func refuse(_ why: String) throws -> Never {
        Terminal.error("error: \(why)")
        throw CommandFailure()
    }
}
