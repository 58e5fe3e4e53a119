import FleetModel
import Foundation

/// How records are laid out in etcd: one key per record under the configured prefix, holding the record's
/// JSON with dates as integer milliseconds (``RegistryTimestamp``), the same encoding as ``RegistrySnapshot``.
struct EtcdRecordCoding: Sendable {
    let prefix: String

    init(prefix: String) {
        // A trailing slash would double up in every key.
        var trimmed = prefix
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.prefix = trimmed
    }

    var instancesPrefix: String { "\(prefix)/instances/" }
    var rolloutsPrefix: String { "\(prefix)/rollouts/" }
    var everythingPrefix: String { "\(prefix)/" }
    var endpointsPrefix: String { "\(prefix)/endpoints/" }
    /// The one fleet-controls record.
    var fleetControlsKey: String { "\(prefix)/controls/fleet" }
    /// The election key of the controllers sharing this prefix.
    var leaderKey: String { "\(prefix)/leader" }

    func endpointKey(service: String, instance: String) -> String {
        "\(endpointsPrefix)\(service)/\(instance)"
    }

    func key(_ record: RegistryRecordKey) -> String {
        switch record {
        case .instance(let id): return instancesPrefix + id
        case .rolloutState(let service): return rolloutsPrefix + service
        case .fleetControls: return fleetControlsKey
        }
    }

    /// The record a stored key names, or nil for a key that is not one of ours.
    func record(forKey key: String) -> RegistryRecordKey? {
        if key.hasPrefix(instancesPrefix) { return .instance(String(key.dropFirst(instancesPrefix.count))) }
        if key.hasPrefix(rolloutsPrefix) { return .rolloutState(String(key.dropFirst(rolloutsPrefix.count))) }
        return nil
    }

    func value(_ record: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RegistryTimestamp.milliseconds(date))
        }
        return try encoder.encode(record).base64EncodedString()
    }

    func decode<Record: Decodable>(_ type: Record.Type, _ value: String?, key: RegistryRecordKey) throws -> Record {
        do {
            guard let data = Data(base64Encoded: value ?? "") else {
                throw RegistryError(.corrupt, "The stored \(key) is not base64.", record: key)
            }
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .custom { decoder in
                RegistryTimestamp.date(milliseconds: try decoder.singleValueContainer().decode(Int64.self))
            }
            return try decoder.decode(type, from: data)
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError(.corrupt, "The stored \(key) cannot be read back.", record: key, underlying: error)
        }
    }
}
