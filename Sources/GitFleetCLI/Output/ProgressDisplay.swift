import FleetController
import Foundation

/// The live progress of an `apply`: on a terminal, one line per service redrawn in place; otherwise
/// a plain log line whenever a service's line changes, so CI logs show each step once.
final class ProgressDisplay: @unchecked Sendable {
    private let interactive: Bool
    private let lock = NSLock()
    private var lastLines: [String: String] = [:]
    private var drawnLines = 0

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func update(_ report: [ServiceConvergence]) {
        lock.lock()
        defer { lock.unlock() }
        let lines = report.map { ($0.service, ProgressDisplay.line(for: $0)) }
        if interactive {
            var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
            for (_, line) in lines { text += "\u{1B}[2K\(line)\n" }
            drawnLines = lines.count
            Terminal.write(Data(text.utf8))
        } else {
            for (service, line) in lines where lastLines[service] != line {
                Terminal.out(line)
                lastLines[service] = line
            }
        }
    }

    /// `web  3/3 ready, 0 starting, 0 old, 0 draining: converged`
    static func line(for service: ServiceConvergence) -> String {
        let counts =
            "\(service.ready)/\(service.replicas) ready, \(service.starting) starting, \(service.old) old, "
            + "\(service.draining) draining"
        return "\(service.service.padding(toLength: max(12, service.service.count), withPad: " ", startingAt: 0)) "
            + "\(counts): \(describe(service.phase))"
    }

    /// The phase in the vocabulary every other output uses, with the services it waits for.
    static func describe(_ phase: ServiceConvergence.Phase) -> String {
        if case .waiting(let dependencies) = phase {
            return "\(phase.name.rawValue) for \(dependencies.joined(separator: ", "))"
        }
        return phase.name.rawValue
    }
}
