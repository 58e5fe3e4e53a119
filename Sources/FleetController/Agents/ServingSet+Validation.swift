import FleetModel
import FleetRuntime
import Foundation

/// Why a serving set read from beyond the process (a discovery agent's copy of the controller's document) is
/// refused: where in it (`services.web[1].address`, with the instance) and what was expected there.
public struct ServingSetRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field path, e.g. `services.web[1].address`.
    public var path: String
    /// The instance the field belongs to, when it is one's.
    public var instance: String?
    /// What is wrong and what was expected.
    public var message: String

    public var description: String {
        "the discovery document is refused: \(path)\(instance.map { " (instance \($0))" } ?? ""): \(message)"
    }
}

extension ServingSet {
    /// Checks every name and value an output renders, so that nothing in the document can write into an nginx or
    /// HAProxy file (or a user template) more than an upstream entry: service and port names are DNS labels,
    /// instance ids portable names, addresses an IP address or a host name, ports within 1…65535, weights at
    /// least 1, spec hashes hex and images free of white space and configuration syntax.
    ///
    /// The controller only ever serves such values; the check is for the agent, which renders what arrives over
    /// the network and must never write a configuration it was not meant to.
    ///
    /// - Throws: the first ``ServingSetRefusal`` in the order of service names, then endpoints.
    public func validate() throws(ServingSetRefusal) {
        for service in names {
            guard DNSLabel.isValid(service) else {
                throw ServingSetRefusal(
                    path: "services", instance: nil,
                    message: "\(Self.quoted(service)) is not a service name (expected \(DNSLabel.rule))")
            }
            for (position, endpoint) in (services[service] ?? []).enumerated() {
                try endpoint.validate(at: "services.\(service)[\(position)]")
            }
        }
    }

    /// A value as errors quote it: control characters escaped, at most 100 characters, so a hostile value can
    /// neither forge log lines nor flood them.
    static func quoted(_ text: String) -> String {
        let escaped = text.unicodeScalars.prefix(100).map { scalar in
            scalar.value < 0x20 || scalar.value == 0x7f ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }.joined()
        return "'\(escaped)\(text.unicodeScalars.count > 100 ? "…" : "")'"
    }
}

extension ServingSet.Endpoint {
    fileprivate func validate(at path: String) throws(ServingSetRefusal) {
        func refuse(_ field: String, _ message: String) -> ServingSetRefusal {
            let id = InstanceLaunch.isValidInstanceID(instance) ? instance : nil
            return ServingSetRefusal(path: "\(path).\(field)", instance: id, message: message)
        }
        guard InstanceLaunch.isValidInstanceID(instance) else {
            throw refuse(
                "instance",
                "\(ServingSet.quoted(instance)) is not an instance id (expected letters, digits, '_', '.' and '-', "
                    + "at most 128, not starting with '.')")
        }
        guard Self.isAddress(address) else {
            throw refuse(
                "address",
                "\(ServingSet.quoted(address)) is not an address (expected an IPv4 or IPv6 address or a host name)")
        }
        for name in ports.keys.sorted() {
            guard DNSLabel.isValid(name) else {
                throw refuse("ports", "\(ServingSet.quoted(name)) is not a port name (expected \(DNSLabel.rule))")
            }
            let port = ports[name] ?? 0
            guard (1...65535).contains(port) else {
                throw refuse("ports.\(name)", "\(port) is not a port (expected 1 to 65535)")
            }
        }
        guard weight >= 1 else { throw refuse("weight", "\(weight) is not a weight (expected 1 or more)") }
        guard !specHash.isEmpty, specHash.utf8.count <= 128, specHash.utf8.allSatisfy(Self.isLowerHex) else {
            throw refuse("specHash", "\(ServingSet.quoted(specHash)) is not a spec hash (expected lower-case hex)")
        }
        guard !image.isEmpty, image.utf8.count <= 1024, image.unicodeScalars.allSatisfy(Self.isImageCharacter)
        else {
            throw refuse(
                "image",
                "\(ServingSet.quoted(image)) is not an image reference (expected no white space, control "
                    + "characters or any of ; { } # ' \" ` $ \\)")
        }
    }

    /// An IPv4 or IPv6 address (as `inet_pton` reads them), or a host name of RFC 1123 labels (letters, digits,
    /// `-`, not at either end of a label) separated by dots, at most 253 characters.
    static func isAddress(_ text: String) -> Bool {
        var buffer = in6_addr()
        if inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1 { return true }
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let bytes = label.utf8
            let isAlnum: (UInt8) -> Bool = {
                (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
            }
            guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
            return isAlnum(first) && isAlnum(last) && bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (97...102).contains(byte)
    }

    private static func isImageCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value > 0x20 && scalar.value != 0x7f && !scalar.properties.isWhitespace
            && !";{}#'\"`$\\".unicodeScalars.contains(scalar)
    }
}
