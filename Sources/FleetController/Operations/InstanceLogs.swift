import FleetModel
import FleetRegistry
import FleetRuntime

/// The output of one instance, for `gitfleet logs` and `GET /api/v1/services/{name}/instances/{id}/logs`.
///
/// A failed or quarantined instance answers with the output kept in its registry record
/// (``InstanceRecord/keptOutput``), so any replica that reads the registry can show it, whichever host's runtime
/// held the instance; every other instance is read from the runtime now. The output is the service's own: whoever
/// may read the fleet's status may read it.
public enum InstanceLogs {
    /// Lines answered when the caller names no number.
    public static let defaultTail = 200
    /// The most lines one answer holds.
    public static let maximumTail = 10_000

    /// What the registry and runtime say about an instance's output.
    public enum Answer: Sendable, Equatable {
        /// The newest lines, each ending in a newline; empty when the instance wrote nothing.
        case output(String)
        /// The registry records neither an instance nor a rollout of the service.
        case serviceNotFound
        /// The service has no instance with that id.
        case instanceNotFound
        /// The instance exists in the registry, but neither its record nor the runtime keeps its output (it was
        /// destroyed before it failed, or failed without the runtime holding any output).
        case noOutput
    }

    /// Why an instance's output cannot be read now (a 503): the registry or the runtime did not answer.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public enum Source: String, Sendable { case registry, runtime }
        public var source: Source
        public var message: String
        public var description: String { "the \(source.rawValue) cannot be read: \(message)" }

        public init(source: Source, message: String) {
            self.source = source
            self.message = message
        }
    }

    /// The newest `tail` lines (1 through ``maximumTail``) of instance `id` of `service`.
    public static func read(
        service: String, instance id: String, tail: Int, registry: any Registry, runtime: any Runtime
    ) async throws(Unreadable) -> Answer {
        let record: InstanceRecord
        do {
            guard let found = try await registry.instance(id: id)?.record, found.service == service else {
                if try await registry.rolloutState(service: service) != nil { return .instanceNotFound }
                return try await registry.instances(service: service).isEmpty ? .serviceNotFound : .instanceNotFound
            }
            record = found
        } catch {
            throw Unreadable(source: .registry, message: "\(error)")
        }
        if let kept = record.keptOutput { return .output(Self.tail(kept, lines: tail)) }
        do {
            return .output(try await runtime.logs(instanceID: id, tail: tail))
        } catch let error as RuntimeError where error.code == .notFound {
            return .noOutput
        } catch {
            throw Unreadable(source: .runtime, message: "\(error)")
        }
    }

    /// What a failed instance keeps of `output`: its newest part, at most ``InstanceRecord/keptOutputLimit`` bytes,
    /// starting on a line boundary so no half line leads it.
    public static func kept(_ output: String) -> String {
        let bytes = Array(output.utf8)
        guard bytes.count > InstanceRecord.keptOutputLimit else { return output }
        var tail = bytes.suffix(InstanceRecord.keptOutputLimit)
        if let newline = tail.firstIndex(of: UInt8(ascii: "\n")), newline < tail.endIndex - 1 {
            tail = tail[(newline + 1)...]
        }
        return String(decoding: tail, as: UTF8.self)
    }

    /// The last `lines` lines of `text`, each ending in a newline.
    static func tail(_ text: String, lines: Int) -> String {
        guard lines > 0 else { return "" }
        var all = text.split(separator: "\n", omittingEmptySubsequences: false)
        if all.last == "" { all.removeLast() }
        let kept = all.suffix(lines)
        return kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n"
    }
}
