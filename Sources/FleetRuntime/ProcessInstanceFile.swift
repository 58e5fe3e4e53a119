import FleetModel
import Foundation

/// `instances/<id>/instance.json`: what ProcessRuntime needs to find, check and control an instance after the
/// process that started it is gone. Written before the spawn (pid nil: intent) and again after it (pid set).
struct ProcessInstanceFile: Codable, Sendable {
    var instanceID: String
    /// The ``RuntimeScope`` the instance belongs to; nil in records written before scopes existed, which
    /// belong to ``RuntimeScope/legacy``.
    var scope: String?
    var service: String
    var specHash: SpecHash
    var image: ImageReference
    /// The argv actually spawned, after `$(NAME)` expansion and path resolution.
    var argv: [String]
    var environment: [String: String]
    var workingDirectory: String
    var ports: [String: Int]
    var logLimit: Int
    var pid: Int32?
    /// The process's start time in clock ticks since boot (`/proc/<pid>/stat` field 22), recorded at spawn so
    /// that a recycled pid is never taken for the instance.
    var processStartTicks: UInt64?
    var startedAt: Date

    static func read(from path: String) throws -> ProcessInstanceFile {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder.runtime.decode(ProcessInstanceFile.self, from: data)
        } catch {
            throw RuntimeError(.io, "cannot read instance record \(path)", cause: error)
        }
    }

    func write(to path: String) throws {
        try Self.writeAtomically(JSONEncoder.runtime.encode(self), to: path)
    }

    /// Write-then-rename, so a reader (or a controller restarted mid-write) sees the old or the new file, never half.
    static func writeAtomically(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RuntimeError(.io, "cannot write \(path)", cause: error)
        }
    }
}

extension JSONEncoder {
    static var runtime: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    static var runtime: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
