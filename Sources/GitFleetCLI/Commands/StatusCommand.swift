import ArgumentParser
import FleetController
import FleetModel
import FleetPlanner
import FleetRegistry
import Foundation

/// `gitfleet status`: what the live registry records, per instance.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the live registry: every instance with its state, age, address, revision and image."
    )

    @Argument(help: "Only this service.")
    var service: String?

    @OptionGroup var location: RegistryLocationOptions

    @Flag(name: .long, help: "Print the live-state document (docs/live-state.md), which `plan --live` reads.")
    var json = false

    func run() async throws {
        let read = try await ControllerBootstrap.forCommand(try location.configuration(mustExist: true)) {
            resources in
            do {
                return try await resources.registry.snapshot()
            } catch {
                Terminal.error("error: the registry cannot be read: \(error)")
                throw CommandFailure()
            }
        }
        var snapshot = read
        if let service {
            snapshot.instances = snapshot.instances.filter { $0.record.service == service }
            snapshot.rolloutStates = snapshot.rolloutStates.filter { $0.record.service == service }
        }
        if json {
            FileHandle.standardOutput.write(LiveStateFile.encode(LiveStateDocument(snapshot)))
            return
        }
        Terminal.out(StatusTable.render(snapshot, now: Date()))
        // Says which instances these records speak for, so two fleets on one host are told apart.
        Terminal.out("runtime scope: \(try location.resolvedRuntimeScope())")
    }
}

/// The human form of `status`.
enum StatusTable {
    static func render(_ snapshot: RegistrySnapshot, now: Date) -> String {
        let header = ["SERVICE", "INSTANCE", "STATE", "AGE", "ADDRESS", "REVISION", "IMAGE"]
        let rows = snapshot.instances.map(\.record).map { record in
            [
                record.service, record.id, record.state.rawValue, age(now.timeIntervalSince(record.createdAt)),
                address(record), record.revision.map { String($0.prefix(12)) } ?? "-", record.image,
            ]
        }
        var lines = table([header] + rows)
        if rows.isEmpty { lines.append("(no instances)") }
        for state in snapshot.rolloutStates.map(\.record) {
            var line = "\(state.service): \(state.servicePhase.rawValue), target \(state.targetSpecHash.short)"
            if let good = state.lastGoodSpecHash { line += ", last good \(good.short)" }
            if !state.failedSpecs.isEmpty {
                line += ", failed \(state.failedSpecs.map(\.short).sorted().joined(separator: " "))"
            }
            if let message = state.message { line += ": \(message.split(separator: "\n").first ?? "")" }
            lines.append(line)
        }
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
