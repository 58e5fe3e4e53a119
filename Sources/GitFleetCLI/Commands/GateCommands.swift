import ArgumentParser
import FleetController
import FleetRegistry
import FleetServer
import Foundation

/// `gitfleet promote SERVICE`: a canary waiting at a gate step (`pause: {}`) moves on to its next step.
struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Move a canary waiting at a gate step (pause: {}) on to its next step.",
        discussion: """
            With --server URL the running controller does it (POST /api/v1/services/{name}/promote) and tells it \
            as a rollout-promoted event; otherwise the registry named by --state-dir or --config is written. Fails \
            when the rollout waits at no gate.
            """
    )

    @OptionGroup var action: GateCommandOptions

    func validate() throws { try action.validate() }

    func run() async throws { try await action.run(.promote) }
}

/// `gitfleet abort SERVICE`: the rollout (paused at a gate or progressing) is failed now and the last good spec
/// restored, as an automatic rollback does.
struct AbortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort",
        abstract: "Abort a service's rollout now and roll back to its last good spec.",
        discussion: """
            The aborted spec is remembered as failed, as an automatic rollback remembers it: it is not tried again \
            until the spec changes in Git or `gitfleet retry`. With --server URL the running controller does it \
            (POST /api/v1/services/{name}/abort) and tells it as a rollout-aborted event; otherwise the registry \
            named by --state-dir or --config is written.
            """
    )

    @OptionGroup var action: GateCommandOptions

    func validate() throws { try action.validate() }

    func run() async throws { try await action.run(.abort) }
}

/// What `promote` and `abort` share: the service, a reason, and where to act (the controller or the registry).
struct GateCommandOptions: ParsableArguments {
    @Argument(help: "The service.")
    var service: String

    @Option(help: "Why, for the event and the people who read it (at most 1000 characters).")
    var reason: String?

    @OptionGroup var location: RegistryLocationOptions
    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        try serverOptions.refuseRegistryFlags(of: location)
        if let reason, reason.count > ActionRequest.maximumReasonLength {
            throw ValidationError(
                "--reason: \(reason.count) characters, more than the \(ActionRequest.maximumReasonLength) allowed")
        }
    }

    func run(_ action: GateAction) async throws {
        let reason = reason.flatMap { $0.isEmpty ? nil : $0 }
        if let client = try serverOptions.client() {
            let answer: ControllerClient.ActionAnswer<GateReply>
            do {
                answer = try await client.gate(action, service: service, reason: reason)
            } catch let failure as ControllerClient.Failure {
                Terminal.error("error: \(failure)")
                throw CommandFailure()
            }
            switch answer {
            case .done(let reply): Terminal.out(reply.message)
            case .refused(let why): return try refuse(why)
            case .unknownService: return try refuse("the registry has no rollout of '\(service)'")
            case .notLeader(let leader):
                try refuse("the controller stands by; ask the one that leads\(leader.map { " (\($0))" } ?? "")")
            }
            return
        }
        // Who asked, as the registry path knows it: the user running the command.
        let user = ProcessInfo.processInfo.userName
        let outcome = try await ControllerBootstrap.forCommand(try location.configuration(mustExist: true)) {
            resources in
            // Compare-and-swap, so a controller that changed the state meanwhile is not overwritten.
            switch action {
            case .promote: try await RolloutGate.promote(service: service, in: resources.registry, now: Date())
            case .abort:
                try await RolloutGate.abort(
                    service: service, by: user.isEmpty ? "an operator" : user, reason: reason,
                    in: resources.registry)
            }
        }
        switch outcome {
        case .done(let state):
            Terminal.out(GateReply(action, state: state, by: user, reason: reason, at: Date()).message)
        case .refused(let why): try refuse(why)
        case .unknownService: try refuse("the registry has no rollout of '\(service)'")
        case .notLeader: try refuse("the controller stands by; ask the one that leads")
        }
    }

    private func refuse(_ why: String) throws {
        Terminal.error("error: \(why)")
        throw CommandFailure()
    }
}
