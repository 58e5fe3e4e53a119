import ArgumentParser
import FleetController
import FleetModel
import FleetPlanner
import FleetRegistry
import FleetServer
import Foundation

/// `gitfleet status`: what the live registry records, per instance.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the live registry: every instance with its state, age, address, revision and image.",
        discussion: """
            With --server URL the running controller is asked (GET /api/v1/live), so no registry credentials \
            are needed; the output is the same as the registry's own.
            """
    )

    @Argument(help: "Only this service.")
    var service: String?

    @OptionGroup var location: RegistryLocationOptions
    @OptionGroup var serverOptions: ServerOptions

    @Flag(name: .long, help: "Print the live-state document (docs/live-state.md), which `plan --live` reads.")
    var json = false

    func validate() throws {
        try serverOptions.refuseRegistryFlags(of: location)
    }

    func run() async throws {
        var (document, controls) = try await live()
        if let service { document = document.only(service: service) }
        if json {
            Terminal.write(LiveStateFile.encode(document))
            return
        }
        Terminal.out(StatusTable.render(document, now: Date()))
        // Says which instances these records speak for, so two fleets on one host are told apart.
        Terminal.out("runtime scope: \(document.runtimeScope ?? "unknown (the controller does not say)")")
        if let freeze = try await freeze() { Terminal.out(StatusTable.render(freeze)) }
        let lines = StatusTable.render(controls, service: service)
        if !lines.isEmpty { Terminal.out(lines) }
        // Only a running controller knows its agents (their reports live in its memory).
        if let client = try serverOptions.client(), let agents = try? await client.status().agents {
            Terminal.out(StatusTable.render(agents))
        }
    }

    /// Operators' controls in force: the controller's status (--server), or the registry's records.
    private func controls(_ snapshot: RegistrySnapshot) -> StatusTable.Controls {
        StatusTable.Controls(
            fleet: snapshot.fleetControls?.record.suspended,
            services: snapshot.rolloutStates.map {
                ($0.record.service, $0.record.suspended, $0.record.pin.map(PinSummary.init))
            })
    }

    /// The freeze windows: the controller's (--server), or those of the configuration file read here, on this
    /// machine's clock; nil when none is configured.
    private func freeze() async throws -> FreezeSummary? {
        if let client = try serverOptions.client() {
            // Only the windows are missing when the status cannot be read; the live state above was.
            return try? await client.status().freeze
        }
        let windows = try location.controllerConfiguration()?.freezeWindows ?? []
        guard !windows.isEmpty else { return nil }
        let now = Date()
        return FreezeSummary(open: windows.open(at: now), next: windows.nextOpening(after: now))
    }

    /// The live-state document from the controller, or else from the registry with the runtime scope this
    /// command would act through.
    private func live() async throws -> (LiveStateDocument, StatusTable.Controls) {
        if let client = try serverOptions.client() {
            let document: LiveStateDocument
            do {
                document = try await client.live()
            } catch {
                Terminal.error("error: \(error)")
                throw CommandFailure()
            }
            // Only the controls are missing when the status cannot be read; the live state above was.
            let status = try? await client.status()
            return (
                document,
                StatusTable.Controls(
                    fleet: status?.suspended,
                    services: (status?.services ?? []).map { ($0.name, $0.suspended, $0.pinned) })
            )
        }
        let snapshot = try await ControllerBootstrap.forCommand(try location.configuration(mustExist: true)) {
            resources in
            do {
                return try await resources.registry.snapshot()
            } catch {
                Terminal.error("error: the registry cannot be read: \(error)")
                throw CommandFailure()
            }
        }
        var document = LiveStateDocument(snapshot)
        document.runtimeScope = try location.resolvedRuntimeScope()
        return (document, controls(snapshot))
    }
}

extension LiveStateDocument {
    /// The document of one service: its instances and rollout, and of the applied specs and pinned images
    /// only those they name, so a planner reading it sees that service as the whole document does.
    func only(service: String) -> LiveStateDocument {
        var document = self
        document.instances = instances.filter { $0.service == service }
        document.rollouts = rollouts.filter { $0.service == service }
        var named = Set(document.instances.map(\.specHash.rawValue))
        for rollout in document.rollouts {
            named.insert(rollout.targetSpecHash.rawValue)
            if let good = rollout.lastGoodSpecHash { named.insert(good.rawValue) }
            named.formUnion(rollout.failedSpecHashes.map(\.rawValue))
        }
        document.appliedSpecs = appliedSpecs.filter { named.contains($0.key) }
        let images = document.instances.map(\.image) + document.appliedSpecs.values.map { "\($0.image)" }
        document.pinnedImages = pinnedImages.filter { tag, _ in images.contains { $0.hasPrefix("\(tag)@") } }
        return document
    }
}

/// The human form of `status`.
enum StatusTable {
    static func render(_ document: LiveStateDocument, now: Date) -> String {
        let header = ["SERVICE", "INSTANCE", "STATE", "AGE", "ADDRESS", "REVISION", "IMAGE"]
        let rows = document.instances.map { record in
            [
                record.service, record.id, record.state.rawValue, age(now.timeIntervalSince(record.createdAt)),
                address(record), record.revision.map { String($0.prefix(12)) } ?? "-", record.image,
            ]
        }
        var lines = table([header] + rows)
        if rows.isEmpty { lines.append("(no instances)") }
        for rollout in document.rollouts {
            let phase = RolloutPhase(rawValue: rollout.phase)
            var line = "\(rollout.service): \(phase?.servicePhase.rawValue ?? rollout.phase)"
            line += ", target \(rollout.targetSpecHash.short)"
            if let good = rollout.lastGoodSpecHash { line += ", last good \(good.short)" }
            let failed =
                phase.map {
                    RolloutState.failedSpecs(
                        phase: $0, target: rollout.targetSpecHash, rolledBackFrom: Set(rollout.failedSpecHashes))
                } ?? Set(rollout.failedSpecHashes)
            if !failed.isEmpty { line += ", failed \(failed.map(\.short).sorted().joined(separator: " "))" }
            if let gate = rollout.gate {
                line +=
                    ", waiting at canary gate step \(gate.step) (weight \(gate.weight)%) since "
                    + "\(gate.since.formatted(.iso8601)) for promote or abort"
            }
            if let message = rollout.message { line += ": \(message.split(separator: "\n").first ?? "")" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The operators' controls in force, for ``render(_:service:)``.
    struct Controls {
        var fleet: Attribution?
        var services: [(name: String, suspended: Attribution?, pinned: PinSummary?)]
    }

    /// `suspended: the fleet by alice at 2026-11-22T13:02:11Z (release freeze)`, then per service
    /// `suspended: web by …` and `rolled back: web to 3f2a9c1e (shop/web:1.4.2@sha256:…) by … until a commit
    /// changes it`; empty when no control is in force (only `service`'s and the fleet's with one).
    static func render(_ controls: Controls, service: String?) -> String {
        func mark(_ attribution: Attribution) -> String {
            "by \(attribution.by) at \(FreezeWindow.timestamp(attribution.at))"
                + (attribution.reason.map { " (\($0.split(separator: "\n").first ?? ""))" } ?? "")
        }
        var lines = controls.fleet.map { ["suspended: the fleet \(mark($0)); new rollouts wait"] } ?? []
        for entry in controls.services.sorted(by: { $0.name < $1.name }) where service == nil || entry.name == service {
            if let suspended = entry.suspended, suspended != controls.fleet {
                lines.append("suspended: \(entry.name) \(mark(suspended)); new rollouts wait")
            }
            if let pin = entry.pinned {
                lines.append(
                    "rolled back: \(entry.name) to \(pin.specHash.short) (\(pin.image)) "
                        + mark(Attribution(by: pin.by, at: pin.at, reason: pin.reason)) + " until a commit changes it")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `freeze: weekend (no deploys) until 2026-11-30T09:00:00Z, services web, api` per open window, then the
    /// next one.
    /// One line per discovery agent: `agent lb-1 (required): failing, index 3f2a9c1e: the reload command …`.
    static func render(_ agents: [AgentDocument]) -> String {
        agents.map { agent in
            let index = agent.index.map { String($0.trimmingCharacters(in: ["\""]).prefix(8)) } ?? "none"
            let problem = agent.problem.map { ": \($0.split(separator: "\n").first ?? "")" } ?? ""
            return "agent \(agent.name)\(agent.required ? " (required)" : ""): \(agent.state), index \(index)\(problem)"
        }.joined(separator: "\n")
    }

    static func render(_ freeze: FreezeSummary) -> String {
        func describe(_ window: FreezeWindowSummary) -> String {
            let label = window.reason.map { "\(window.name) (\($0))" } ?? window.name
            let services = window.services.map { ", services \($0.joined(separator: ", "))" } ?? ""
            let from = window.from.map { " from \(FreezeWindow.timestamp($0))" } ?? ""
            return "\(label)\(from) until \(FreezeWindow.timestamp(window.until))\(services)"
        }
        var lines = freeze.active.map { "freeze: \(describe($0)); new rollouts wait" }
        if freeze.active.isEmpty { lines.append("freeze: none open") }
        if let next = freeze.next { lines.append("next freeze: \(describe(next))") }
        return lines.joined(separator: "\n")
    }

    static func address(_ record: InstanceRecord) -> String {
        guard let address = record.address else { return "-" }
        let ports = record.ports.sorted { $0.key < $1.key }.map { "\($0.value)" }
        return ports.isEmpty ? address : "\(address):\(ports.joined(separator: ","))"
    }

    static func age(_ seconds: TimeInterval) -> String {
        let seconds = max(0, Int(seconds))
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m"
        case ..<86_400: return "\(seconds / 3600)h"
        default: return "\(seconds / 86_400)d"
        }
    }

    static func table(_ rows: [[String]]) -> [String] {
        guard let columns = rows.first?.count else { return [] }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == columns - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}

extension FreezeSummary {
    /// The API's view of open and upcoming windows, shared by `/api/v1/status` and `status` without `--server`.
    init(open: [OpenFreezeWindow], next: UpcomingFreezeWindow?) {
        func summary(_ window: FreezeWindow, from: Date?, until: Date) -> FreezeWindowSummary {
            FreezeWindowSummary(
                name: window.name, reason: window.reason, services: window.services?.sorted(), from: from,
                until: until)
        }
        self.init(
            active: open.map { summary($0.window, from: nil, until: $0.until) },
            next: next.map { summary($0.window, from: $0.opens, until: $0.closes) })
    }
}
