import ArgumentParser
import FleetController
import FleetModel
import FleetPlanner
import FleetRegistry
import FleetRuntime
import Foundation

/// `gitfleet plan`: what `apply` would do, without doing it.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what converging to a revision would create, replace, scale and remove.",
        discussion: """
            The live state is read from the registry in the state directory when there is one, or from \
            --live FILE (see docs/live-state.md); with neither, the fleet is planned from nothing.
            With --detailed-exitcode: 0 no changes, 2 changes, 1 error.
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var runtimeOptions: RuntimeOptions

    @Option(name: .long, help: "A JSON file of live instances to plan against instead of the registry.")
    var live: String?

    @Flag(name: .long, help: "Print the plan as JSON (see docs/plan-json.md).")
    var json = false

    @Flag(name: .long, help: "Exit 2 when the plan has changes, 0 when it has none.")
    var detailedExitcode = false

    @Flag(name: .long, help: "List unchanged services too.")
    var verbose = false

    func run() async throws {
        var fleet = try DesiredStateLoading.load(repository)
        let stateDirectory = state.directory(default: repository.defaultStateDirectory)

        var observed: [InstanceRecord] = []
        var policy = PlanPolicy()
        var appliedSpecs: [ServiceSpec] = []
        if let live {
            do {
                observed = try LiveStateFile.load(path: live)
            } catch {
                Terminal.error("error: \(error)")
                throw CommandFailure()
            }
        } else if StateOptions.registryExists(in: stateDirectory) {
            let registry = try StateOptions.openRegistry(in: stateDirectory)
            observed = try await registry.instances(service: nil).map(\.record)
            for state in try await registry.rolloutStates().map(\.record) {
                if !state.failedSpecHashes.isEmpty { policy.failedSpecHashes[state.service] = state.failedSpecHashes }
                // What a replacement replaces is usually the last good spec: knowing it lets the plan name each change.
                if let lastGood = state.lastGoodSpec { appliedSpecs.append(lastGood) }
            }
            try await registry.close()
        }

        // The process runtime pins against the image store when there is one; Docker hosts are always asked.
        if runtimeOptions.choice == .docker || FileManager.default.fileExists(atPath: "\(stateDirectory)/images") {
            let runtime = try runtimeOptions.makeRuntime(stateDirectory: stateDirectory)
            let (pinned, failures) = await ImagePinning.pinWherePossible(fleet, with: runtime)
            await runtime.close()
            fleet = pinned
            for (service, reason) in failures.sorted(by: { $0.key < $1.key }) {
                Terminal.error("warning: \(service): image not pinned to a digest: \(reason)")
            }
        }

        let plan = Planner.plan(desired: fleet, observed: observed, appliedSpecs: appliedSpecs, policy: policy)
        if json {
            FileHandle.standardOutput.write(plan.jsonData())
        } else {
            Terminal.out(plan.renderedText(verbose: verbose, colour: Terminal.isInteractive))
        }
        if detailedExitcode && plan.hasChanges { throw CommandFailure(code: 2) }
    }
}
