/// How `fleet.yaml`'s `spec.defaults` combine with a service's `spec`: mappings merge key by key at every
/// depth and the service wins; lists and scalars are replaced whole. One exception: the health probe
/// kinds (`http`, `tcp`, `exec`, `grpc`) exclude each other, so a service that names any probe drops the
/// default probe rather than ending up with two (in `health`, `readiness` and `liveness` alike).
enum DefaultsMerge {
    static let exclusiveProbeKeys: Set<String> = ["http", "tcp", "exec", "grpc"]

    static let checkFields: Set<String> = ["health", "readiness", "liveness"]

    static func merge(defaults: YAMLNode, over service: YAMLNode, path: String = "") -> YAMLNode {
        guard case .mapping(let defaultPairs, _) = defaults, case .mapping(var pairs, let mark) = service else {
            return service
        }
        var positions: [String: Int] = [:]
        for (index, pair) in pairs.enumerated() {
            if case .scalar(let key) = pair.key, positions[key.text] == nil { positions[key.text] = index }
        }
        let serviceNamesProbe = Self.checkFields.contains(path) && exclusiveProbeKeys.contains { positions[$0] != nil }
        for pair in defaultPairs {
            // Keys that are not plain names are reported when the defaults are checked on their own.
            guard case .scalar(let key) = pair.key else { continue }
            if let index = positions[key.text] {
                pairs[index].value = merge(
                    defaults: pair.value, over: pairs[index].value, path: NodeReader.join(path, key.text))
            } else if !(serviceNamesProbe && exclusiveProbeKeys.contains(key.text)) {
                pairs.append(pair)
            }
        }
        return .mapping(pairs, mark)
    }
}
