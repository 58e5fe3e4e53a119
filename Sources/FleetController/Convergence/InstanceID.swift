import FleetModel

/// Instance ids say what they are at a glance (`web-3f2a9c1d-k2j4x9`): the service, the first digits
/// of the spec hash and a random suffix. They are valid file names, process labels and etcd keys.
enum InstanceID {
    private static let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")

    static func make(service: String, specHash: SpecHash) -> String {
        var generator = SystemRandomNumberGenerator()
        let suffix = String((0..<6).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
        return "\(service)-\(specHash.rawValue.prefix(8))-\(suffix)"
    }
}
