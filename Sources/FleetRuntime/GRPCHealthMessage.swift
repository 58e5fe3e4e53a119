/// The two messages of the standard gRPC health checking protocol (grpc.health.v1), written by hand for the
/// probe's call (ProbeClient+GRPC.swift): a request is one optional
/// string field and an answer one enum field, so generating them with swift-protobuf (whose build plugin costs
/// minutes on every clean build) would buy nothing (see docs/architecture.md).
///
/// ```proto
/// message HealthCheckRequest { string service = 1; }
/// message HealthCheckResponse { enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
///                               ServingStatus status = 1; }
/// ```
public enum GRPCHealthMessage {
    /// A `HealthCheckResponse.ServingStatus`; values the protocol may add later keep their number.
    public enum ServingStatus: Hashable, Sendable, CustomStringConvertible {
        case unknown
        case serving
        case notServing
        case serviceUnknown
        case other(UInt64)

        init(_ value: UInt64) {
            switch value {
            case 0: self = .unknown
            case 1: self = .serving
            case 2: self = .notServing
            case 3: self = .serviceUnknown
            default: self = .other(value)
            }
        }

        public var description: String {
            switch self {
            case .unknown: return "UNKNOWN"
            case .serving: return "SERVING"
            case .notServing: return "NOT_SERVING"
            case .serviceUnknown: return "SERVICE_UNKNOWN"
            case .other(let value): return "status \(value)"
            }
        }
    }

    /// A `HealthCheckRequest` for `service` ("" asks about the server as a whole, and encodes as no field).
    public static func request(service: String) -> [UInt8] {
        guard !service.isEmpty else { return [] }
        let bytes = Array(service.utf8)
        return [0x0A] + varint(UInt64(bytes.count)) + bytes
    }

    /// The status of a `HealthCheckResponse`; unknown fields are skipped, as protobuf requires. nil: malformed.
    public static func servingStatus(_ message: [UInt8]) -> ServingStatus? {
        var index = 0
        var status: UInt64 = 0
        while index < message.count {
            guard let key = readVarint(message, &index) else { return nil }
            switch key & 7 {
            case 0:
                guard let value = readVarint(message, &index) else { return nil }
                if key >> 3 == 1 { status = value }
            case 1: index += 8
            case 2:
                guard let length = readVarint(message, &index), length <= UInt64(message.count - index) else {
                    return nil
                }
                index += Int(length)
            case 5: index += 4
            default: return nil
            }
            if index > message.count { return nil }
        }
        return ServingStatus(status)
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }

    static func readVarint(_ bytes: [UInt8], _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
