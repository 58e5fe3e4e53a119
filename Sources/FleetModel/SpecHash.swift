import Crypto

/// The identity of an instance's shape: a SHA-256 over exactly the fields that define what runs.
///
/// Covered: the image (its digest when pinned, else repository and tag), command, env, ports, the
/// health checks (`health`, `readiness`, `liveness`), resources and the secrets (name, file path and the keyed
/// digest of the value). Not covered: `replicas`, `rollout`, `drain`, `maxAge`, `labels` and
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
        var bytes = Array(SpecHash.versionTag.utf8)
        bytes.reserveCapacity(512)
        SpecHash.writeCanonicalDocument(spec, into: &bytes)
        rawValue = Hex.lowercase(SHA256.hash(data: bytes))
    }

    /// The canonical document that is hashed, exposed so that tests and docs can show it.
    public static func canonicalJSON(_ spec: ServiceSpec) -> String {
        var bytes: [UInt8] = []
        writeCanonicalDocument(spec, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes the canonical document: a JSON object with keys sorted by their UTF-8 bytes.
    ///
    /// The fixed keys are written in that order by hand (the hash is computed for every service on
    /// every plan, and building dictionaries to sort them was most of its cost); only the keys that
    /// come from the manifest (env, ports) are sorted at run time.
    static func writeCanonicalDocument(_ spec: ServiceSpec, into bytes: inout [UInt8]) {
        var object = CanonicalObjectWriter(&bytes)
        object.key("command", &bytes)
        CanonicalValue.writeArray(spec.command, into: &bytes)
        object.key("env", &bytes)
        CanonicalValue.writeSorted(spec.env, into: &bytes) { value, bytes in
            CanonicalValue.writeString(value, into: &bytes)
        }
        if let health = spec.health {
            object.key("health", &bytes)
            writeCheck(health, into: &bytes)
        }
        object.key("image", &bytes)
        CanonicalValue.writeString(spec.image.identity, into: &bytes)
        if let liveness = spec.liveness {
            object.key("liveness", &bytes)
            writeCheck(liveness, into: &bytes)
        }
        object.key("ports", &bytes)
        CanonicalValue.writeSorted(spec.ports, into: &bytes) { value, bytes in
            CanonicalValue.writeInteger(Int64(value), into: &bytes)
        }
        if let readiness = spec.readiness {
            object.key("readiness", &bytes)
            writeCheck(readiness, into: &bytes)
        }
        let resources = spec.resources
        if resources.cpu != nil || resources.memory != nil || resources.user != nil
            || resources.readOnlyRootFilesystem
        {
            object.key("resources", &bytes)
            var fields = CanonicalObjectWriter(&bytes)
            if let memory = resources.memory {
                fields.key("memory", &bytes)
                CanonicalValue.writeInteger(memory, into: &bytes)
            }
            if let cpu = resources.cpu {
                fields.key("milliCPU", &bytes)
                CanonicalValue.writeInteger(Int64((cpu * 1000).rounded()), into: &bytes)
            }
            if resources.readOnlyRootFilesystem {
                fields.key("readOnlyRootFilesystem", &bytes)
                bytes.append(contentsOf: "true".utf8)
            }
            if let user = resources.user {
                fields.key("user", &bytes)
                CanonicalValue.writeString(user, into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        // Secrets are written only when a spec has them, so every spec without one keeps its hash.
        if let secretEnv = spec.secretEnv {
            object.key("secretEnv", &bytes)
            CanonicalValue.writeSorted(secretEnv, into: &bytes) { reference, bytes in
                var fields = CanonicalObjectWriter(&bytes)
                writeSecret(reference, &fields, &bytes)
                bytes.append(UInt8(ascii: "}"))
            }
        }
        if let secretFiles = spec.secretFiles {
            object.key("secretFiles", &bytes)
            bytes.append(UInt8(ascii: "["))
            for (index, file) in secretFiles.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                var fields = CanonicalObjectWriter(&bytes)
                writeSecret(file.secret, &fields, &bytes, path: file.path)
                bytes.append(UInt8(ascii: "}"))
            }
            bytes.append(UInt8(ascii: "]"))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// A secret is its name and the keyed digest of its value, never the value. Without a digest (read
    /// without the controller's identity, as `gitfleet validate` may) the sealed file's object id stands in.
    private static func writeSecret(
        _ reference: SecretReference, _ fields: inout CanonicalObjectWriter, _ bytes: inout [UInt8],
        path: String? = nil
    ) {
        if let digest = reference.digest {
            fields.key("digest", &bytes)
            CanonicalValue.writeString(digest, into: &bytes)
        } else if let object = reference.object {
            fields.key("object", &bytes)
            CanonicalValue.writeString(object, into: &bytes)
        }
        if let path {
            fields.key("path", &bytes)
            CanonicalValue.writeString(path, into: &bytes)
        }
        fields.key("secret", &bytes)
        CanonicalValue.writeString(reference.name, into: &bytes)
    }

    /// Writes one health check as a sorted object. A field added after v1 (the http probe's method, headers and
    /// status, the grpc probe) is written only when set, so every check that does not use it keeps its hash.
    static func writeCheck(_ check: HealthCheck, into bytes: inout [UInt8]) {
        var fields = CanonicalObjectWriter(&bytes)
        if case .exec(let command) = check.probe {
            fields.key("exec", &bytes)
            CanonicalValue.writeArray(command, into: &bytes)
        }
        if case .grpc(let port, let service) = check.probe {
            fields.key("grpc", &bytes)
            var grpc = CanonicalObjectWriter(&bytes)
            grpc.key("port", &bytes)
            CanonicalValue.writeString(port, into: &bytes)
            if let service {
                grpc.key("service", &bytes)
                CanonicalValue.writeString(service, into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        fields.key("healthyThreshold", &bytes)
        CanonicalValue.writeInteger(Int64(check.healthyThreshold), into: &bytes)
        if case .http(let path, let port, let method, let headers, let status) = check.probe {
            fields.key("http", &bytes)
            var http = CanonicalObjectWriter(&bytes)
            if let headers {
                http.key("headers", &bytes)
                CanonicalValue.writeSorted(headers, into: &bytes) { value, bytes in
                    CanonicalValue.writeString(value, into: &bytes)
                }
            }
            if let method {
                http.key("method", &bytes)
                CanonicalValue.writeString(method, into: &bytes)
            }
            http.key("path", &bytes)
            CanonicalValue.writeString(path, into: &bytes)
            http.key("port", &bytes)
            CanonicalValue.writeString(port, into: &bytes)
            if let status {
                http.key("status", &bytes)
                CanonicalValue.writeArray(status.map { "\($0.lowerBound)-\($0.upperBound)" }, into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        fields.key("intervalMs", &bytes)
        CanonicalValue.writeInteger(check.interval.milliseconds, into: &bytes)
        fields.key("startTimeoutMs", &bytes)
        CanonicalValue.writeInteger(check.startTimeout.milliseconds, into: &bytes)
        // Only when the manifest names it, so adding the field changed no existing spec's hash.
        if let startupInterval = check.startupInterval {
            fields.key("startupIntervalMs", &bytes)
            CanonicalValue.writeInteger(startupInterval.milliseconds, into: &bytes)
        }
        if case .tcp(let port) = check.probe {
            fields.key("tcp", &bytes)
            var tcp = CanonicalObjectWriter(&bytes)
            tcp.key("port", &bytes)
            CanonicalValue.writeString(port, into: &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        fields.key("timeoutMs", &bytes)
        CanonicalValue.writeInteger(check.timeout.milliseconds, into: &bytes)
        fields.key("unhealthyThreshold", &bytes)
        CanonicalValue.writeInteger(Int64(check.unhealthyThreshold), into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// Writes the keys of one JSON object, which the caller gives in sorted order, and closes it with `}`.
struct CanonicalObjectWriter {
    private var first = true

    init(_ bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func key(_ key: StaticString, _ bytes: inout [UInt8]) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: "\":".utf8)
    }
}

/// How the canonical document writes JSON values: sorted keys, no white space, so the same value
/// always gives the same bytes.
enum CanonicalValue {
    static func writeInteger(_ value: Int64, into bytes: inout [UInt8]) {
        bytes.append(contentsOf: String(value).utf8)
    }

    static func writeArray(_ items: [String], into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            writeString(item, into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A JSON object of `members`, keys sorted by their UTF-8 bytes.
    static func writeSorted<Value>(
        _ members: [String: Value], into bytes: inout [UInt8], value write: (Value, inout [UInt8]) -> Void
    ) {
        bytes.append(UInt8(ascii: "{"))
        let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for (index, member) in sorted.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            writeString(member.key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            write(member.value, &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    static func writeString(_ text: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = text.utf8
        // Most strings need no escaping: copy them whole.
        let copied: Bool? = utf8.withContiguousStorageIfAvailable { buffer in
            guard !buffer.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
            else { return false }
            bytes.append(contentsOf: buffer)
            return true
        }
        if copied == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in utf8 {
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
