import Crypto

/// The identity of an instance's shape: a SHA-256 over exactly the fields that define what runs.
///
/// Covered: the image (its digest when pinned, else repository and tag), command, env, ports, the
/// health check and resources. Not covered: `replicas`, `rollout`, `drain`, `maxAge`, `labels` and
/// `dependsOn`, which change how many instances run or how they are replaced but not what they are.
///
/// The input is a canonical JSON document with sorted keys and no insignificant white space, prefixed
/// by a version tag, so map order in the manifest never changes the hash. Changing what is covered
/// means a new version tag, which replaces every instance once: that is deliberate and documented.
public struct SpecHash: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// 64 lower-case hex digits.
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The first 12 hex digits, for people.
    public var short: String { String(rawValue.prefix(12)) }
    public var description: String { rawValue }

    public static func < (lhs: SpecHash, rhs: SpecHash) -> Bool { lhs.rawValue < rhs.rawValue }

    static let versionTag = "gitfleet/spec/v1\n"

    /// The hash of `spec`.
    public init(_ spec: ServiceSpec) {
        let document = SpecHash.canonicalDocument(spec)
        var bytes = Array(SpecHash.versionTag.utf8)
        document.write(into: &bytes)
        let digest = SHA256.hash(data: bytes)
        // One string built from a byte buffer: a string per byte and a join cost more than the hash.
        let digits = Array("0123456789abcdef".utf8)
        rawValue = String(unsafeUninitializedCapacity: 64) { buffer in
            var index = 0
            for byte in digest {
                buffer[index] = digits[Int(byte >> 4)]
                buffer[index + 1] = digits[Int(byte & 0x0f)]
                index += 2
            }
            return index
        }
    }

    /// The canonical document that is hashed, exposed so that tests and docs can show it.
    public static func canonicalJSON(_ spec: ServiceSpec) -> String {
        var bytes: [UInt8] = []
        canonicalDocument(spec).write(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func canonicalDocument(_ spec: ServiceSpec) -> CanonicalValue {
        var fields: [String: CanonicalValue] = [
            "image": .string(spec.image.identity),
            "command": .array(spec.command.map { .string($0) }),
            "env": .object(spec.env.mapValues { .string($0) }),
            "ports": .object(spec.ports.mapValues { .integer(Int64($0)) }),
        ]
        if let health = spec.health {
            var check: [String: CanonicalValue] = [
                "intervalMs": .integer(health.interval.milliseconds),
                "timeoutMs": .integer(health.timeout.milliseconds),
                "healthyThreshold": .integer(Int64(health.healthyThreshold)),
                "unhealthyThreshold": .integer(Int64(health.unhealthyThreshold)),
                "startTimeoutMs": .integer(health.startTimeout.milliseconds),
            ]
            switch health.probe {
            case .http(let path, let port):
                check["http"] = .object(["path": .string(path), "port": .string(port)])
            case .tcp(let port):
                check["tcp"] = .object(["port": .string(port)])
            case .exec(let command):
                check["exec"] = .array(command.map { .string($0) })
            }
            fields["health"] = .object(check)
        }
        var resources: [String: CanonicalValue] = [:]
        if let cpu = spec.resources.cpu { resources["milliCPU"] = .integer(Int64((cpu * 1000).rounded())) }
        if let memory = spec.resources.memory { resources["memory"] = .integer(memory) }
        if let user = spec.resources.user { resources["user"] = .string(user) }
        if spec.resources.readOnlyRootFilesystem { resources["readOnlyRootFilesystem"] = .bool(true) }
        if !resources.isEmpty { fields["resources"] = .object(resources) }
        return .object(fields)
    }
}

/// A JSON value written with sorted keys and no white space: the same value always gives the same bytes.
enum CanonicalValue {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case array([CanonicalValue])
    case object([String: CanonicalValue])

    func write(into bytes: inout [UInt8]) {
        switch self {
        case .string(let text): CanonicalValue.writeString(text, into: &bytes)
        case .integer(let value): bytes.append(contentsOf: String(value).utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                item.write(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            // Sorted by UTF-8 bytes, so the order does not depend on the locale or on String's collation.
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                CanonicalValue.writeString(member.key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                member.value.write(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ text: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                bytes.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
