import Foundation

/// The day-2 fields of the status and service documents (issue 15's contract: `suspended`, `pinned`, `gate`),
/// read from the documents' JSON rather than their Swift types.
///
/// The dashboard renders them when a controller reports them and shows nothing when it does not: decoding the
/// encoded document tolerantly keeps the pages working whichever of these fields a build has, and a field added
/// to the documents shows up here without the dashboard naming its Swift property.
struct DashboardContractFields: Decodable, Sendable {
    /// Who suspended a service (or the whole fleet), when and why.
    struct Hold: Decodable, Sendable, Hashable {
        var by: String?
        var at: String?
        var reason: String?
    }

    /// A `rollback SERVICE` holding the service at its last good spec.
    struct Pin: Decodable, Sendable, Hashable {
        var specHash: String?
        var revision: String?
        var by: String?
        var at: String?
        var reason: String?
    }

    /// A canary waiting at a `pause: {}` step for `promote`.
    struct Gate: Decodable, Sendable, Hashable {
        var step: Int?
        var weight: Int?
        var since: String?
    }

    struct Service: Decodable, Sendable {
        var name: String?
        var suspended: Hold?
        var pinned: Pin?
        var gate: Gate?
    }

    var suspended: Hold?
    var services: [Service]?
    // A service document carries its own fields at the top level.
    var pinned: Pin?
    var gate: Gate?

    /// The fields of `document` (a `StatusDocument` or a `ServiceDocument`); none when they cannot be read.
    init(of document: some Encodable) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let decoded = (try? encoder.encode(document)).flatMap { try? JSONDecoder().decode(Self.self, from: $0) }
        self = decoded ?? Self()
    }

    private init() {}

    private enum CodingKeys: String, CodingKey {
        case suspended, services, pinned, gate
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Each field on its own, so one of a shape this build does not expect hides only itself.
        suspended = try? container.decodeIfPresent(Hold.self, forKey: .suspended)
        services = try? container.decodeIfPresent([LenientService].self, forKey: .services)?.map(\.service)
        pinned = try? container.decodeIfPresent(Pin.self, forKey: .pinned)
        gate = try? container.decodeIfPresent(Gate.self, forKey: .gate)
    }

    /// The fields of the service named `name` in a status document.
    func service(_ name: String) -> Service? {
        services?.first { $0.name == name }
    }

    private struct LenientService: Decodable {
        var service: Service

        private enum CodingKeys: String, CodingKey {
            case name, suspended, pinned, gate
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            service = Service(
                name: try? container.decodeIfPresent(String.self, forKey: .name),
                suspended: try? container.decodeIfPresent(Hold.self, forKey: .suspended),
                pinned: try? container.decodeIfPresent(Pin.self, forKey: .pinned),
                gate: try? container.decodeIfPresent(Gate.self, forKey: .gate))
        }
    }
}
