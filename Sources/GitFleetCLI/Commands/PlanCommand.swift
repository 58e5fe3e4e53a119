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
            The live state is read from a running controller with --server URL, from --live FILE (the \
            document `status --json` prints; see docs/live-state.md), or from the registry in the state \
            directory when there is one; with none of them, the fleet is planned from nothing (said on the \
            first line and warned on standard error). The first line names the live source.
            With --detailed-exitcode: 0 no changes, 2 changes, 1 error.
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var runtimeOptions: RuntimeOptions
    @OptionGroup var serverOptions: ServerOptions

    @Option(
        name: .long, help: "A live-state document (as `status --json` prints) to plan against instead of the registry.")
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

        let (live, source) = try await liveState(stateDirectory: stateDirectory)
        if live == nil { Terminal.error("warning: no live state: planning from nothing") }

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

        // Tags the local runtime could not pin take the controller's digests, so an unchanged commit keeps
        // its spec hashes; a tag pinned here that moved since shows as a replacement between both digests.
        if let live { fleet = live.withSecretDigests(live.pinning(fleet)) }

        // The specs the live state says were applied let a replacement name each field it changes.
        let plan = Planner.plan(
            desired: fleet, observed: live?.instances ?? [],
            appliedSpecs: live.map { Array($0.appliedSpecs.values) } ?? [], policy: live?.policy ?? PlanPolicy())
        let secretsNote = Self.secretsComparedByFile(fleet, plan) ? Self.secretsNote : nil
        if json {
            // The JSON stays the plan alone; the source goes where a person reading the job's log sees it.
            Terminal.error(source.line)
            Terminal.write(plan.jsonData())
            if let secretsNote { Terminal.error(secretsNote) }
        } else {
            Terminal.out(source.line)
            Terminal.out(plan.renderedText(verbose: verbose, colour: Terminal.isInteractive))
            if let secretsNote { Terminal.out(secretsNote) }
        }
        if detailedExitcode && plan.hasChanges { throw CommandFailure(code: 2) }
    }

    static let secretsNote =
        "Note: secrets were compared by their sealed files (no --secret-identity-file): one sealed again with the "
        + "same value shows as changed here, but the controller compares values and replaces nothing for it."

    /// Whether the plan says a secret changed where only its sealed file could be compared: without the
    /// controller's identity, a file sealed again (age is randomised) differs even when the value does not.
    static func secretsComparedByFile(_ fleet: Fleet, _ plan: Plan) -> Bool {
        let undigested = Set(
            fleet.services.filter { $0.secretReferences.contains { $0.digest == nil } }.map(\.name))
        return plan.actions.contains { action in
            undigested.contains(action.service)
                && (action.changes ?? []).flatMap(\.leaves).contains { $0.secret && $0.kind == .changed }
        }
    }

    /// The live state to plan against and where it came from: the controller, the file, the state
    /// directory's registry, or nothing. A state directory named with --state-dir must exist (a
    /// misspelt one would otherwise plan from nothing without a word); with --server or --live it still
    /// lends its image store to pin tags.
    private func liveState(stateDirectory: String) async throws -> (LiveStateDocument?, LiveSource) {
        if serverOptions.server != nil && live != nil {
            throw ValidationError("--server and --live name two live states; give one")
        }
        if let named = state.stateDir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: stateDirectory, isDirectory: &isDirectory),
                isDirectory.boolValue
            else {
                Terminal.error("error: --state-dir: no directory '\(named)' (\(stateDirectory))")
                throw CommandFailure()
            }
        }
        do {
            if let client = try serverOptions.client() {
                let document = try await client.live()
                return (document, .controller(client.base, revision: document.revision))
            }
            if let live { return (try LiveStateFile.loadDocument(path: live), .file(live)) }
        } catch let error as ValidationError {
            throw error
        } catch {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
        guard StateOptions.registryExists(in: stateDirectory) else { return (nil, .none) }
        let registry = try StateOptions.openRegistry(in: stateDirectory)
        let snapshot = try await registry.snapshot()
        try await registry.close()
        return (LiveStateDocument(snapshot), .stateDirectory(state.stateDir ?? stateDirectory))
    }
}

/// Where a plan's live state came from, said on the plan's first line so nobody mistakes a plan from
/// nothing for a plan against the fleet.
enum LiveSource: Equatable {
    case controller(String, revision: String?)
    case file(String)
    case stateDirectory(String)
    case none

    var line: String {
        switch self {
        case .controller(let url, let revision):
            "Live state: controller \(url) at \(revision ?? "no deployed revision")"
        case .file(let path): "Live state: file \(path)"
        case .stateDirectory(let path): "Live state: state directory \(path)"
        case .none: "Live state: none — planning from nothing"
        }
    }
}
