/// Decoding of a Service document's `spec` (after the fleet defaults are merged in) onto ``ServiceSpec``.
/// Every default lives in the model types' initialisers; this file only reads what was written.
extension NodeReader {
    static let specFields = [
        "image", "replicas", "command", "env", "ports", "health", "resources", "rollout", "drain", "maxAge",
        "dependsOn", "secretFiles", "readiness", "liveness",
    ]

    /// Decodes `spec`; returns nil when any issue was found in it. `forDefaults` reads the fleet defaults,
    /// where every field (even `image`) is optional and references to ports are checked per service.
    mutating func serviceSpec(
        _ node: YAMLNode, name: String, labels: [String: String], forDefaults: Bool = false
    ) -> (spec: ServiceSpec?, dependsOn: [(name: String, node: YAMLNode)]) {
        let before = issues.count
        let path = forDefaults ? "spec.defaults" : "spec"
        guard let fields = fields(node, path, known: NodeReader.specFields, expected: "a mapping of service fields")
        else { return (nil, []) }
        func at(_ field: String) -> String { NodeReader.join(path, field) }

        var image: ImageReference? = nil
        if let node = fields["image"]?.value, let text = string(node, at("image"), expected: "an image reference") {
            var problem: String? = nil
            if let reference = ImageReference(parsing: text, problem: &problem) {
                image = reference
            } else {
                report(node, at("image"), "'\(text)' is not an image reference", expected: problem)
            }
        } else if fields["image"] == nil && !forDefaults {
            report(
                node, at("image"), "the required field 'image' is missing", expected: "an image such as shop/web:1.5.0")
        }
        var spec = ServiceSpec(name: name, labels: labels, image: image ?? ImageReference(repository: "invalid"))
        if let node = fields["replicas"]?.value, let value = integer(node, at("replicas"), in: 0...limits.maxReplicas) {
            spec.replicas = value
        }
        if let node = fields["command"]?.value, let value = stringList(node, at("command")) { spec.command = value }
        if let node = fields["env"]?.value { (spec.env, spec.secretEnv) = env(node, at("env")) }
        if let node = fields["ports"]?.value { spec.ports = ports(node, at("ports")) }
        if let node = fields["health"]?.value {
            spec.health = health(
                node, at("health"), ports: forDefaults ? nil : spec.ports, portsNode: fields["ports"]?.value)
        }
        for (field, keyPath) in [("readiness", \ServiceSpec.readiness), ("liveness", \ServiceSpec.liveness)] {
            if let node = fields[field]?.value {
                spec[keyPath: keyPath] = health(
                    node, at(field), ports: forDefaults ? nil : spec.ports, portsNode: fields["ports"]?.value)
            }
        }
        if let node = fields["resources"]?.value { spec.resources = resources(node, at("resources")) }
        if let node = fields["rollout"]?.value { spec.rollout = rollout(node, at("rollout"), replicas: spec.replicas) }
        if let node = fields["drain"]?.value { spec.drain = drain(node, at("drain")) }
        if let node = fields["maxAge"]?.value {
            spec.maxAge = duration(node, at("maxAge"), in: .seconds(60)...(.seconds(365 * 86_400)))
        }
        var dependsOn: [(name: String, node: YAMLNode)] = []
        if let node = fields["dependsOn"]?.value { dependsOn = dependencies(node, at("dependsOn")) }
        spec.dependsOn = dependsOn.map(\.name)
        if let node = fields["secretFiles"]?.value { spec.secretFiles = secretFiles(node, at("secretFiles")) }
        return (issues.count == before && image != nil ? spec : nil, dependsOn)
    }

    /// Plain values, and values that are references to sealed secrets (`{secret: NAME}`).
    private mutating func env(_ node: YAMLNode, _ path: String) -> (
        plain: [String: String], secrets: [String: SecretReference]?
    ) {
        var result: [String: String] = [:]
        var secrets: [String: SecretReference] = [:]
        for entry in entries(node, path, expected: "a mapping of variable names to string values") ?? [] {
            let field = NodeReader.join(path, entry.name)
            guard NodeReader.isEnvironmentName(entry.name) else {
                report(
                    entry.key, field, "'\(entry.name)' is not a valid environment variable name",
                    expected: "letters, digits and '_', not starting with a digit")
                continue
            }
            if case .mapping = entry.value {
                if let reference = secretReference(entry.value, field) { secrets[entry.name] = reference }
            } else if let value = strictString(entry.value, field, what: "the value") {
                result[entry.name] = value
            }
        }
        return (result, secrets.isEmpty ? nil : secrets)
    }

    /// `{secret: NAME}`, located at the name so that an error about the sealed file points at it.
    private mutating func secretReference(
        _ node: YAMLNode, _ path: String, fields: [String: (key: YAMLNode, value: YAMLNode)]? = nil
    )
        -> SecretReference?
    {
        guard
            let fields = fields
                ?? self.fields(
                    node, path, known: ["secret"], expected: "a string, or a mapping with secret (a secret's name)")
        else { return nil }
        guard let nameNode = fields["secret"]?.value else {
            report(
                node, NodeReader.join(path, "secret"), "the required field 'secret' is missing",
                expected: "the name of a file secrets/NAME.age")
            return nil
        }
        guard let name = string(nameNode, NodeReader.join(path, "secret"), expected: "a secret's name") else {
            return nil
        }
        guard SecretReference.isValidName(name) else {
            report(
                nameNode, NodeReader.join(path, "secret"), "'\(name)' is not a valid secret name",
                expected: SecretReference.nameRule)
            return nil
        }
        return SecretReference(name: name, location: location(nameNode))
    }

    private mutating func secretFiles(_ node: YAMLNode, _ path: String) -> [SecretFile]? {
        guard case .sequence(let items, _) = node else {
            report(node, path, "found \(node.kindDescription)", expected: "a list of mappings with secret and path")
            return nil
        }
        var result: [SecretFile] = []
        for (index, item) in items.enumerated() {
            let field = "\(path)[\(index)]"
            guard
                let fields = fields(
                    item, field, known: ["secret", "path"], expected: "a mapping with secret and path")
            else { continue }
            let reference = secretReference(item, field, fields: fields)
            guard let pathNode = fields["path"]?.value else {
                report(
                    item, NodeReader.join(field, "path"), "the required field 'path' is missing",
                    expected: "an absolute path such as /run/secrets/db-password")
                continue
            }
            guard let filePath = string(pathNode, NodeReader.join(field, "path")) else { continue }
            let components = filePath.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard filePath.hasPrefix("/"), filePath.count > 1, !filePath.hasSuffix("/"),
                components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
            else {
                report(
                    pathNode, NodeReader.join(field, "path"), "'\(filePath)' is not an absolute file path",
                    expected: "an absolute path without '.' or '..', such as /run/secrets/db-password")
                continue
            }
            if let other = result.first(where: { $0.path == filePath }) {
                report(
                    pathNode, NodeReader.join(field, "path"),
                    "'\(filePath)' is already the path of secret \(other.secret.name)", expected: "each path once")
                continue
            }
            if let reference { result.append(SecretFile(secret: reference, path: filePath)) }
        }
        return result.isEmpty ? nil : result
    }

    private mutating func ports(_ node: YAMLNode, _ path: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for entry in entries(node, path, expected: "a mapping of port names to numbers (0 = allocate)") ?? [] {
            let field = NodeReader.join(path, entry.name)
            guard NodeReader.isDNSLabel(entry.name) else {
                report(entry.key, field, "'\(entry.name)' is not a valid port name", expected: NodeReader.dnsLabelRule)
                continue
            }
            if let value = integer(entry.value, field, in: 0...65_535) { result[entry.name] = value }
        }
        return result
    }

    private mutating func health(_ node: YAMLNode, _ path: String, ports: [String: Int]?, portsNode: YAMLNode?)
        -> HealthCheck?
    {
        let known = [
            "http", "tcp", "exec", "interval", "timeout", "healthyThreshold", "unhealthyThreshold", "startTimeout",
            "grpc", "startupInterval",
        ]
        guard let fields = fields(node, path, known: known, expected: "a mapping with one of http, tcp, exec or grpc")
        else { return nil }
        func at(_ field: String) -> String { NodeReader.join(path, field) }
        let probes = ["http", "tcp", "exec", "grpc"].filter { fields[$0] != nil }
        guard probes.count == 1 else {
            let message =
                probes.isEmpty
                ? "no probe is given" : "only one probe may be given, found " + probes.joined(separator: " and ")
            report(node, path, message, expected: "exactly one of http, tcp, exec or grpc")
            return nil
        }
        var probe: HealthCheck.Probe? = nil
        if let node = fields["http"]?.value,
            let http = self.fields(
                node, at("http"), known: ["path", "port", "method", "headers", "status"],
                expected: "a mapping with path and port")
        {
            var path: String? = nil
            if let pathNode = http["path"]?.value {
                path = string(pathNode, at("http.path"))
                if let text = path, !text.hasPrefix("/") {
                    report(
                        pathNode, at("http.path"), "'\(text)' does not start with '/'",
                        expected: "a path such as /healthz")
                }
            } else {
                report(
                    node, at("http.path"), "the required field 'path' is missing", expected: "a path such as /healthz")
            }
            let port = probePort(http["port"], node, at("http.port"), ports: ports)
            let request = httpRequest(http, at("http"))
            if let path, path.hasPrefix("/"), let port, let request {
                probe = .http(
                    path: path, port: port, method: request.method, headers: request.headers, status: request.status)
            }
        }
        if let node = fields["grpc"]?.value,
            let grpc = self.fields(node, at("grpc"), known: ["port", "service"], expected: "a mapping with port")
        {
            let port = probePort(grpc["port"], node, at("grpc.port"), ports: ports)
            var service: String? = nil
            var serviceValid = true
            if let serviceNode = grpc["service"]?.value {
                service = strictString(serviceNode, at("grpc.service"), what: "the service name")
                serviceValid = service != nil
            }
            if let port, serviceValid { probe = .grpc(port: port, service: service) }
        }
        if let node = fields["tcp"]?.value,
            let tcp = self.fields(node, at("tcp"), known: ["port"], expected: "a mapping with port")
        {
            if let port = probePort(tcp["port"], node, at("tcp.port"), ports: ports) { probe = .tcp(port: port) }
        }
        if let node = fields["exec"]?.value,
            let exec = self.fields(node, at("exec"), known: ["command"], expected: "a mapping with command")
        {
            if let command = exec["command"] {
                if let argv = stringList(command.value, at("exec.command"), allowEmpty: false) {
                    probe = .exec(command: argv)
                }
            } else {
                report(
                    node, at("exec.command"), "the required field 'command' is missing", expected: "a list of strings")
            }
        }
        var check = HealthCheck(probe: probe ?? .tcp(port: ""))
        let probeTimes = Duration.milliseconds(100)...Duration.seconds(3_600)
        if let node = fields["interval"]?.value, let value = duration(node, at("interval"), in: probeTimes) {
            check.interval = value
        }
        if let node = fields["timeout"]?.value, let value = duration(node, at("timeout"), in: probeTimes) {
            check.timeout = value
        }
        if let node = fields["healthyThreshold"]?.value, let value = integer(node, at("healthyThreshold"), in: 1...100)
        {
            check.healthyThreshold = value
        }
        if let node = fields["unhealthyThreshold"]?.value,
            let value = integer(node, at("unhealthyThreshold"), in: 1...100)
        {
            check.unhealthyThreshold = value
        }
        if let node = fields["startTimeout"]?.value,
            let value = duration(node, at("startTimeout"), in: .seconds(1)...(.seconds(86_400)))
        {
            check.startTimeout = value
        }
        if let node = fields["startupInterval"]?.value,
            let value = duration(node, at("startupInterval"), in: .milliseconds(10)...check.interval)
        {
            check.startupInterval = value
        }
        return probe == nil ? nil : check
    }

    /// The optional parts of an http probe's request and what it accepts; nil when any of them is invalid.
    private mutating func httpRequest(_ http: [String: (key: YAMLNode, value: YAMLNode)], _ path: String) -> (
        method: String?, headers: [String: String]?, status: [ClosedRange<Int>]?
    )? {
        let before = issues.count
        func at(_ field: String) -> String { NodeReader.join(path, field) }
        var method: String? = nil
        if let node = http["method"]?.value, let text = strictString(node, at("method"), what: "the method") {
            if HealthCheck.httpMethods.contains(text) {
                method = text
            } else {
                report(
                    node, at("method"), "'\(text)' is not an HTTP method a probe can send",
                    expected: "one of " + HealthCheck.httpMethods.joined(separator: ", "))
            }
        }
        var headers: [String: String]? = nil
        if let node = http["headers"]?.value {
            var result: [String: String] = [:]
            for entry in entries(node, at("headers"), expected: "a mapping of header names to string values") ?? [] {
                let field = NodeReader.join(at("headers"), entry.name)
                guard NodeReader.isHeaderName(entry.name) else {
                    report(
                        entry.key, field, "'\(entry.name)' is not a valid HTTP header name",
                        expected: "letters, digits and !#$%&'*+-.^_`|~")
                    continue
                }
                guard let value = strictString(entry.value, field, what: "the value") else { continue }
                if value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                    report(entry.value, field, "the value contains a line break", expected: "a single-line string")
                } else {
                    result[entry.name] = value
                }
            }
            headers = result
        }
        var status: [ClosedRange<Int>]? = nil
        if let node = http["status"]?.value {
            let expected = "a status such as 200, a range such as \"200-299\", or a list of them, from 100 to 599"
            let items: [(node: YAMLNode, path: String)]
            if case .sequence(let list, _) = node {
                items = list.enumerated().map { ($1, "\(at("status"))[\($0)]") }
                if list.isEmpty { report(node, at("status"), "the list is empty", expected: expected) }
            } else {
                items = [(node, at("status"))]
            }
            var ranges: [ClosedRange<Int>] = []
            for item in items {
                if let range = NodeReader.statusRange(item.node) {
                    ranges.append(range)
                } else {
                    report(
                        item.node, item.path, "'\(item.node.scalarText)' is not an HTTP status or range",
                        expected: expected)
                }
            }
            status = ranges
        }
        return issues.count == before ? (method, headers, status) : nil
    }

    /// `200`, `"204"` or `"200-299"`, within 100...599.
    static func statusRange(_ node: YAMLNode) -> ClosedRange<Int>? {
        guard case .scalar(let scalar) = node, scalar.type == .integer || scalar.type == .string else { return nil }
        let bounds = scalar.text.split(separator: "-", omittingEmptySubsequences: false)
            .map { Int($0) }
        guard bounds.count <= 2, let low = bounds.first ?? nil, let high = bounds.last ?? nil, 100 <= low, low <= high,
            high <= 599
        else { return nil }
        return low...high
    }

    /// An RFC 9110 token: what a header name may be made of.
    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
    }

    /// A probe's port: the name of a port in `spec.ports` (unchecked when `ports` is nil, for the defaults).
    private mutating func probePort(
        _ field: (key: YAMLNode, value: YAMLNode)?, _ parent: YAMLNode, _ path: String, ports: [String: Int]?
    ) -> String? {
        guard let field else {
            report(parent, path, "the required field 'port' is missing", expected: "the name of a port in spec.ports")
            return nil
        }
        guard let name = string(field.value, path, expected: "the name of a port in spec.ports") else { return nil }
        if let ports, ports[name] == nil {
            let declared = ports.keys.sorted()
            report(
                field.value, path, "port '\(name)' is not declared in spec.ports",
                expected: declared.isEmpty
                    ? "a port declared in spec.ports" : "one of " + declared.joined(separator: ", "))
            return nil
        }
        return name
    }

    private mutating func resources(_ node: YAMLNode, _ path: String) -> Resources {
        var result = Resources()
        let known = ["cpu", "memory", "user", "readOnlyRootFilesystem"]
        guard let fields = fields(node, path, known: known, expected: "a mapping of resource limits") else {
            return result
        }
        func at(_ field: String) -> String { NodeReader.join(path, field) }
        if let node = fields["cpu"]?.value {
            let expected = "cores such as 0.5 or millicores such as 500m, from 1m to 1024"
            if let cores = NodeReader.cpu(node), cores >= 0.001, cores <= 1024 {
                result.cpu = cores
            } else {
                report(node, at("cpu"), "'\(node.scalarText)' is not a CPU amount", expected: expected)
            }
        }
        if let node = fields["memory"]?.value {
            let expected = "bytes or a quantity such as 256Mi, 1Gi or 512M, from 1Mi to 1Ti"
            if let bytes = NodeReader.memory(node), bytes >= 1 << 20, bytes <= 1 << 40 {
                result.memory = bytes
            } else {
                report(node, at("memory"), "'\(node.scalarText)' is not a memory amount", expected: expected)
            }
        }
        if let node = fields["user"]?.value, let user = string(node, at("user"), expected: "a user name or uid[:gid]") {
            if user.isEmpty {
                report(node, at("user"), "the user is empty", expected: "a user name or uid[:gid]")
            } else {
                result.user = user
            }
        }
        if let node = fields["readOnlyRootFilesystem"]?.value, let value = bool(node, at("readOnlyRootFilesystem")) {
            result.readOnlyRootFilesystem = value
        }
        return result
    }

    private mutating func rollout(_ node: YAMLNode, _ path: String, replicas: Int) -> RolloutPolicy {
        var result = RolloutPolicy()
        let known = [
            "strategy", "maxSurge", "maxUnavailable", "minReady", "progressDeadline", "autoRollback", "scaleDownDelay",
            "steps",
        ]
        guard let fields = fields(node, path, known: known, expected: "a mapping of rollout settings") else {
            return result
        }
        func at(_ field: String) -> String { NodeReader.join(path, field) }
        let strategies = RolloutPolicy.Strategy.allCases.map(\.rawValue)
        if let node = fields["strategy"]?.value, let text = string(node, at("strategy")) {
            if let strategy = RolloutPolicy.Strategy(rawValue: text) {
                result.strategy = strategy
            } else {
                var message = "unknown strategy '\(text)'"
                if let suggestion = FieldSuggestion.closest(to: text, among: strategies) {
                    message += "; did you mean '\(suggestion)'?"
                }
                report(node, at("strategy"), message, expected: "one of " + strategies.joined(separator: ", "))
            }
        }
        var countsValid = true
        for field in ["maxSurge", "maxUnavailable"] {
            guard let node = fields[field]?.value else { continue }
            if let count = instanceCount(node, at(field)) {
                if field == "maxSurge" { result.maxSurge = count } else { result.maxUnavailable = count }
            } else {
                countsValid = false
            }
        }
        let base = max(replicas, 1)
        if countsValid, result.strategy == .rolling,
            result.maxSurge.resolved(replicas: base, roundingUp: true) == 0,
            result.maxUnavailable.resolved(replicas: base, roundingUp: false) == 0
        {
            report(
                node, path,
                "maxSurge \(result.maxSurge) and maxUnavailable \(result.maxUnavailable) both resolve to 0"
                    + " for \(replicas) replicas, so a rolling update could never make progress",
                expected: "maxSurge or maxUnavailable of at least 1")
        }
        if let node = fields["minReady"]?.value,
            let value = duration(node, at("minReady"), in: .zero...(.seconds(3_600)))
        {
            result.minReady = value
        }
        if let node = fields["progressDeadline"]?.value,
            let value = duration(node, at("progressDeadline"), in: .seconds(10)...(.seconds(86_400)))
        {
            result.progressDeadline = value
        }
        if let node = fields["autoRollback"]?.value, let value = bool(node, at("autoRollback")) {
            result.autoRollback = value
        }
        if let node = fields["scaleDownDelay"]?.value,
            let value = duration(node, at("scaleDownDelay"), in: .zero...(.seconds(86_400)))
        {
            result.scaleDownDelay = value
        }
        if let node = fields["steps"] {
            if result.strategy != .canary {
                report(
                    node.key, at("steps"), "steps apply only to the canary strategy, not \(result.strategy.rawValue)",
                    expected: "strategy: canary, or no steps")
            }
            result.steps = steps(node.value, at("steps"))
        }
        return result
    }

    private mutating func instanceCount(_ node: YAMLNode, _ path: String) -> InstanceCount? {
        var expected: String { "a whole number from 0 to \(limits.maxReplicas) or a percentage from 0% to 100%" }
        if case .scalar(let scalar) = node, scalar.type == .string, scalar.text.hasSuffix("%") {
            guard let percent = Int(scalar.text.dropLast()), percent >= 0 else {
                report(node, path, "'\(scalar.text)' is not a percentage", expected: expected)
                return nil
            }
            guard percent <= 100 else {
                report(node, path, "\(scalar.text) is over 100%", expected: expected)
                return nil
            }
            return .percent(percent)
        }
        guard case .scalar(let scalar) = node, scalar.type == .integer else {
            report(node, path, "found \(node.kindDescription)", expected: expected)
            return nil
        }
        return integer(node, path, in: 0...limits.maxReplicas).map { .count($0) }
    }

    /// The canary steps. A step is `{weight, pause}`; `pause: {}` makes it a gate that waits for `gitfleet promote`,
    /// and a gate may leave out its weight to hold at the weight of the step before (Argo Rollouts writes a gate as
    /// a step of its own after a `setWeight`).
    private mutating func steps(_ node: YAMLNode, _ path: String) -> [RolloutPolicy.CanaryStep] {
        guard case .sequence(let items, _) = node else {
            report(node, path, "found \(node.kindDescription)", expected: "a list of {weight, pause}")
            return []
        }
        var result: [RolloutPolicy.CanaryStep] = []
        var previous = 0
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard
                let fields = fields(
                    item, itemPath, known: ["weight", "pause"], expected: "a mapping with weight and pause")
            else { continue }
            var step = RolloutPolicy.CanaryStep(weight: 0, pause: .zero)
            if let pause = fields["pause"] {
                if case .mapping(let entries, _) = pause.value {
                    if entries.isEmpty {
                        step.gate = true
                    } else {
                        report(
                            pause.value, "\(itemPath).pause", "a gate has no fields",
                            expected: "a duration like 30s, or {} to wait for `gitfleet promote`")
                    }
                } else if let value = duration(pause.value, "\(itemPath).pause", in: .zero...(.seconds(86_400))) {
                    step.pause = value
                }
            }
            if let weight = fields["weight"] {
                if let value = integer(weight.value, "\(itemPath).weight", in: 1...100) {
                    if value <= previous {
                        report(
                            weight.value, "\(itemPath).weight",
                            "weight \(value) does not increase on the step before (\(previous))",
                            expected: "weights strictly increasing from 1 to 100")
                    }
                    previous = max(previous, value)
                    step.weight = value
                }
            } else if step.gate, previous > 0 {
                step.weight = previous
            } else {
                report(
                    item, "\(itemPath).weight",
                    step.gate
                        ? "a gate without a weight holds the weight of the step before, and there is none"
                        : "the required field 'weight' is missing",
                    expected: "a percentage from 1 to 100")
            }
            if step.gate, step.weight == 100, let pause = fields["pause"] {
                report(
                    pause.value, "\(itemPath).pause", "a gate at weight 100 has no step left to promote to",
                    expected: "a gate at a weight below 100")
            }
            result.append(step)
        }
        return result
    }

    private mutating func drain(_ node: YAMLNode, _ path: String) -> DrainPolicy {
        var result = DrainPolicy()
        guard
            let fields = fields(
                node, path, known: ["delay", "gracePeriod"], expected: "a mapping with delay and gracePeriod")
        else { return result }
        if let node = fields["delay"]?.value, let value = duration(node, "\(path).delay", in: .zero...(.seconds(3_600)))
        {
            result.delay = value
        }
        if let node = fields["gracePeriod"]?.value,
            let value = duration(node, "\(path).gracePeriod", in: .zero...(.seconds(3_600)))
        {
            result.gracePeriod = value
        }
        return result
    }

    private mutating func dependencies(_ node: YAMLNode, _ path: String) -> [(name: String, node: YAMLNode)] {
        guard case .sequence(let items, _) = node else {
            report(node, path, "found \(node.kindDescription)", expected: "a list of service names")
            return []
        }
        var result: [(name: String, node: YAMLNode)] = []
        var seen: Set<String> = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let name = string(item, itemPath, expected: "a service name") else { continue }
            guard NodeReader.isDNSLabel(name) else {
                report(item, itemPath, "'\(name)' is not a valid service name", expected: NodeReader.dnsLabelRule)
                continue
            }
            guard seen.insert(name).inserted else {
                report(item, itemPath, "'\(name)' is listed twice", expected: "each dependency once")
                continue
            }
            result.append((name, item))
        }
        return result
    }
}

extension NodeReader {
    static let dnsLabelRule =
        "a DNS label: lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit"

    /// RFC 1123 label: what service and port names must be, since they become host names and keys.
    static func isDNSLabel(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        let isAlnum: (UInt8) -> Bool = { (48...57).contains($0) || (97...122).contains($0) }
        return isAlnum(first) && isAlnum(last) && bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, what a POSIX shell accepts.
    static func isEnvironmentName(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, !(48...57).contains(first) else { return false }
        return bytes.allSatisfy {
            (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == UInt8(ascii: "_")
        }
    }

    /// Cores from `0.5`, `2` or `500m`.
    static func cpu(_ node: YAMLNode) -> Double? {
        guard case .scalar(let scalar) = node else { return nil }
        if let number = scalar.number { return number }
        guard scalar.text.hasSuffix("m"), let millis = Int(scalar.text.dropLast()), millis >= 0 else { return nil }
        return Double(millis) / 1000
    }

    /// Bytes from `268435456`, `256Mi`, `1Gi`, `512M` or `1k`.
    static func memory(_ node: YAMLNode) -> Int64? {
        guard case .scalar(let scalar) = node, scalar.type != .null else { return nil }
        let text = scalar.text
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 15, let value = Int64(digits) else { return nil }
        let scale: Int64
        switch text.dropFirst(digits.count) {
        case "": scale = 1
        case "k", "K": scale = 1_000
        case "M": scale = 1_000_000
        case "G": scale = 1_000_000_000
        case "T": scale = 1_000_000_000_000
        case "Ki": scale = 1 << 10
        case "Mi": scale = 1 << 20
        case "Gi": scale = 1 << 30
        case "Ti": scale = 1 << 40
        default: return nil
        }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }
}
