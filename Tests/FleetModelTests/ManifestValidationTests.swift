import FleetModel
import Testing

/// One repository that must be rejected, and the issue (as printed, starting with file:line:column) it must produce.
struct RejectedManifest: Sendable, CustomTestStringConvertible {
    var label: String
    var services: [(path: String, text: String)]
    var fleet: String? = nil
    var limits = ManifestLimits()
    var expected: String

    var testDescription: String { label }

    static func spec(_ label: String, _ spec: String, _ expected: String) -> RejectedManifest {
        RejectedManifest(
            label: label, services: [("services/a.yaml", ManifestFixtures.service("a", spec: spec))], expected: expected
        )
    }
}

private let image = "  image: shop/a\n"

private let cases: [RejectedManifest] = [
    .spec(
        "unknown field with a suggestion", image + "  replica: 2",
        "services/a.yaml:7:3: spec.replica: unknown field 'replica'; did you mean 'replicas'?"),
    .spec(
        "unknown field far from any", image + "  colour: red",
        "services/a.yaml:7:3: spec.colour: unknown field 'colour' (expected one of image"),
    .spec(
        "string where an int is expected", image + "  replicas: three",
        "services/a.yaml:7:13: spec.replicas: found a string (expected a whole number from 0 to 10000)"),
    .spec(
        "map where a list is expected", image + "  command: {a: b}",
        "services/a.yaml:7:12: spec.command: found a mapping (expected a list of strings)"),
    .spec(
        "list item of the wrong type", image + "  command: [a, b, {c: d}]",
        "services/a.yaml:7:19: spec.command[2]: found a mapping (expected a string)"),
    .spec(
        "negative replicas", image + "  replicas: -1",
        "services/a.yaml:7:13: spec.replicas: -1 must not be negative"),
    .spec(
        "replicas over the limit", image + "  replicas: 10001",
        "services/a.yaml:7:13: spec.replicas: 10001 is out of range (expected a whole number from 0 to 10000)"),
    .spec(
        "port over 65535", image + "  ports: {http: 70000}",
        "services/a.yaml:7:17: spec.ports.http: 70000 is out of range (expected a whole number from 0 to 65535)"),
    .spec(
        "threshold of zero", image + "  ports: {p: 1}\n  health:\n    tcp: {port: p}\n    healthyThreshold: 0",
        "services/a.yaml:10:23: spec.health.healthyThreshold: 0 is out of range (expected a whole number from 1 to 100)"
    ),
    .spec(
        "threshold over 100", image + "  ports: {p: 1}\n  health:\n    tcp: {port: p}\n    unhealthyThreshold: 101",
        "services/a.yaml:10:25: spec.health.unhealthyThreshold: 101 is out of range"),
    .spec(
        "percentage over 100", image + "  rollout: {maxSurge: 150%}",
        "services/a.yaml:7:23: spec.rollout.maxSurge: 150% is over 100%"),
    .spec(
        "duration out of bounds", image + "  drain: {gracePeriod: 2h}",
        "services/a.yaml:7:24: spec.drain.gracePeriod: 2h is out of range (expected a duration like 30s, 10m or 1h30m from 0s to 1h)"
    ),
    .spec(
        "not a duration", image + "  maxAge: soon",
        "services/a.yaml:7:11: spec.maxAge: found 'soon' (expected a duration"),
    .spec(
        "maxSurge and maxUnavailable both zero", image + "  rollout:\n    maxSurge: 0\n    maxUnavailable: 0%",
        "services/a.yaml:8:5: spec.rollout: maxSurge 0 and maxUnavailable 0% both resolve to 0"),
    RejectedManifest(
        label: "duplicate service across files",
        services: [
            ("services/a.yaml", ManifestFixtures.service("web", spec: image)),
            ("services/b.yaml", ManifestFixtures.service("web", spec: image)),
        ],
        expected: "services/b.yaml:4:9: metadata.name: service 'web' is already defined at services/a.yaml:4:9"),
    RejectedManifest(
        label: "name that is not a DNS label",
        services: [("services/a.yaml", ManifestFixtures.service("Web_1", spec: image))],
        expected: "services/a.yaml:4:9: metadata.name: 'Web_1' is not a valid name (expected a DNS label"),
    RejectedManifest(
        label: "unknown dependency of a service whose name is invalid",
        services: [("services/a.yaml", ManifestFixtures.service("Web_1", spec: image + "  dependsOn: [nowhere]"))],
        expected: "services/a.yaml:7:15: spec.dependsOn[0]: depends on unknown service 'nowhere'"),
    RejectedManifest(
        label: "dependsOn cycle",
        services: [
            ("services/a.yaml", ManifestFixtures.service("a", spec: image + "  dependsOn: [b]")),
            ("services/b.yaml", ManifestFixtures.service("b", spec: image + "  dependsOn: [c]")),
            ("services/c.yaml", ManifestFixtures.service("c", spec: image + "  dependsOn: [a]")),
        ],
        expected: "services/c.yaml:7:15: spec.dependsOn[0]: dependency cycle: a → b → c → a"),
    .spec(
        "self dependency", image + "  dependsOn: [a]",
        "services/a.yaml:7:15: spec.dependsOn[0]: service 'a' depends on itself"),
    .spec(
        "dependsOn unknown target", image + "  dependsOn: [nope]",
        "services/a.yaml:7:15: spec.dependsOn[0]: depends on unknown service 'nope'"),
    RejectedManifest(
        label: "file over the size limit", services: [("services/a.yaml", ManifestFixtures.service("a", spec: image))],
        limits: ManifestLimits(maxFileSize: 50),
        expected:
            "services/a.yaml:1:1: the file is 80 bytes, over the limit of 50 bytes (expected a file of at most 50 bytes)"
    ),
    RejectedManifest(
        label: "billion laughs",
        services: [
            (
                "services/a.yaml",
                """
                a: &a [x, x, x, x, x, x, x, x, x, x]
                b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
                c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
                d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
                e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
                f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
                g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
                h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
                i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
                """
            )
        ],
        expected: "services/a.yaml:4:36: the document expands to more than 10000 YAML nodes"),
    RejectedManifest(
        label: "empty file", services: [("services/a.yaml", "# nothing here\n")],
        expected: "services/a.yaml:1:1: the file is empty (expected at least one Service document)"),
    RejectedManifest(
        label: "empty document",
        services: [("services/a.yaml", ManifestFixtures.service("a", spec: image) + "\n---\n---\n")],
        expected: "services/a.yaml:8:1: the document is empty"),
    RejectedManifest(
        label: "document that is not a mapping", services: [("services/a.yaml", "- a\n- b\n")],
        expected: "services/a.yaml:1:1: found a list (expected a mapping with apiVersion, kind, metadata and spec)"),
    RejectedManifest(
        label: "missing apiVersion",
        services: [("services/a.yaml", "kind: Service\nmetadata: {name: a}\nspec: {image: x}\n")],
        expected: "services/a.yaml:1:1: apiVersion: the required field 'apiVersion' is missing (expected gitfleet/v1)"),
    RejectedManifest(
        label: "missing kind",
        services: [("services/a.yaml", "apiVersion: gitfleet/v1\nmetadata: {name: a}\nspec: {image: x}\n")],
        expected: "services/a.yaml:1:1: kind: the required field 'kind' is missing (expected Service)"),
    RejectedManifest(
        label: "missing name",
        services: [
            ("services/a.yaml", "apiVersion: gitfleet/v1\nkind: Service\nmetadata: {labels: {}}\nspec: {image: x}\n")
        ],
        expected: "services/a.yaml:3:11: metadata.name: the required field 'name' is missing"),
    .spec("missing image", "  replicas: 2", "services/a.yaml:6:3: spec.image: the required field 'image' is missing"),
    RejectedManifest(
        label: "wrong apiVersion",
        services: [
            ("services/a.yaml", "apiVersion: gitfleet/v2\nkind: Service\nmetadata: {name: a}\nspec: {image: x}\n")
        ],
        expected: "services/a.yaml:1:13: apiVersion: unsupported apiVersion 'gitfleet/v2' (expected gitfleet/v1)"),
    RejectedManifest(
        label: "wrong kind",
        services: [
            ("services/a.yaml", "apiVersion: gitfleet/v1\nkind: Servce\nmetadata: {name: a}\nspec: {image: x}\n")
        ],
        expected: "services/a.yaml:2:7: kind: unknown kind 'Servce' (expected Service)"),
    .spec(
        "duplicate key", image + "  replicas: 1\n  replicas: 2",
        "services/a.yaml:8:3: spec.replicas: duplicate key 'replicas'; it is already set at services/a.yaml:7:3"),
    .spec(
        "YAML syntax error", image + "  command: [a, b",
        "services/a.yaml:8:1: YAML syntax error: did not find expected ',' or ']'"),
    .spec(
        "health port not declared", image + "  ports: {http: 0}\n  health: {http: {path: /h, port: web}}",
        "services/a.yaml:8:35: spec.health.http.port: port 'web' is not declared in spec.ports (expected one of http)"),
    .spec(
        "http path without a slash", image + "  ports: {http: 0}\n  health: {http: {path: healthz, port: http}}",
        "services/a.yaml:8:25: spec.health.http.path: 'healthz' does not start with '/'"),
    .spec(
        "empty exec command", image + "  health: {exec: {command: []}}",
        "services/a.yaml:7:28: spec.health.exec.command: the list is empty"),
    .spec(
        "two probes", image + "  ports: {p: 0}\n  health: {tcp: {port: p}, exec: {command: [x]}}",
        "services/a.yaml:8:11: spec.health: only one probe may be given, found tcp and exec"),
    .spec(
        "unknown http method", image + "  ports: {http: 0}\n  health: {http: {path: /h, port: http, method: FETCH}}",
        "services/a.yaml:8:49: spec.health.http.method: 'FETCH' is not an HTTP method a probe can send (expected one of GET, HEAD"
    ),
    .spec(
        "header name with a space",
        image + "  ports: {http: 0}\n  health: {http: {path: /h, port: http, headers: {X Y: z}}}",
        "services/a.yaml:8:51: spec.health.http.headers.X Y: 'X Y' is not a valid HTTP header name"),
    .spec(
        "header value not a string",
        image + "  ports: {http: 0}\n  health: {http: {path: /h, port: http, headers: {X-N: 1}}}",
        "services/a.yaml:8:56: spec.health.http.headers.X-N: the value 1 is a number, not a string; quote it"),
    .spec(
        "status out of range",
        image + "  ports: {http: 0}\n  health: {http: {path: /h, port: http, status: [200, 700]}}",
        "services/a.yaml:8:55: spec.health.http.status[1]: '700' is not an HTTP status or range (expected a status such as 200"
    ),
    .spec(
        "status range backwards",
        image + "  ports: {http: 0}\n  health: {http: {path: /h, port: http, status: \"299-200\"}}",
        "services/a.yaml:8:49: spec.health.http.status: '299-200' is not an HTTP status or range"),
    .spec(
        "empty status list", image + "  ports: {http: 0}\n  health: {http: {path: /h, port: http, status: []}}",
        "services/a.yaml:8:49: spec.health.http.status: the list is empty"),
    .spec(
        "grpc port not declared", image + "  ports: {http: 0}\n  readiness: {grpc: {port: grpc}}",
        "services/a.yaml:8:28: spec.readiness.grpc.port: port 'grpc' is not declared in spec.ports (expected one of http)"
    ),
    .spec(
        "grpc service not a string", image + "  ports: {g: 0}\n  liveness: {grpc: {port: g, service: [a]}}",
        "services/a.yaml:8:39: spec.liveness.grpc.service: found a list (expected a string)"),
    .spec(
        "grpc and http together", image + "  ports: {g: 0}\n  readiness: {grpc: {port: g}, http: {path: /, port: g}}",
        "services/a.yaml:8:14: spec.readiness: only one probe may be given, found http and grpc"),
    .spec(
        "readiness without a probe", image + "  readiness: {interval: 1s}",
        "services/a.yaml:7:14: spec.readiness: no probe is given (expected exactly one of http, tcp, exec or grpc)"),
    .spec(
        "invalid env name", image + "  env: {1BAD: x}",
        "services/a.yaml:7:9: spec.env.1BAD: '1BAD' is not a valid environment variable name"),
    .spec(
        "env number not quoted", image + "  env: {PORT: 8080}",
        "services/a.yaml:7:15: spec.env.PORT: the value 8080 is a number, not a string; quote it (expected a quoted string such as \"8080\")"
    ),
    .spec(
        "env boolean not quoted", image + "  env:\n    DEBUG: true",
        "services/a.yaml:8:12: spec.env.DEBUG: the value true is a boolean, not a string; quote it"),
    .spec(
        "canary weights not increasing",
        image
            + "  rollout:\n    strategy: canary\n    steps:\n      - {weight: 50, pause: 1m}\n      - {weight: 20, pause: 1m}",
        "services/a.yaml:11:18: spec.rollout.steps[1].weight: weight 20 does not increase on the step before (50)"),
    .spec(
        "canary weight over 100", image + "  rollout:\n    strategy: canary\n    steps: [{weight: 120}]",
        "services/a.yaml:9:22: spec.rollout.steps[0].weight: 120 is out of range (expected a whole number from 1 to 100)"
    ),
    .spec(
        "canary gate with fields",
        image + "  rollout:\n    strategy: canary\n    steps: [{weight: 20, pause: {for: 1h}}]",
        "services/a.yaml:9:33: spec.rollout.steps[0].pause: a gate has no fields (expected a duration like 30s, or {} to "
            + "wait for `gitfleet promote`)"),
    .spec(
        "canary gate first without a weight", image + "  rollout:\n    strategy: canary\n    steps: [{pause: {}}]",
        "services/a.yaml:9:13: spec.rollout.steps[0].weight: a gate without a weight holds the weight of the step "
            + "before, and there is none"),
    .spec(
        "canary gate at 100", image + "  rollout:\n    strategy: canary\n    steps: [{weight: 100, pause: {}}]",
        "services/a.yaml:9:34: spec.rollout.steps[0].pause: a gate at weight 100 has no step left to promote to"),
    .spec(
        "canary pause neither duration nor gate",
        image + "  rollout:\n    strategy: canary\n    steps: [{weight: 20, pause: [1m]}]",
        "services/a.yaml:9:33: spec.rollout.steps[0].pause: found a list"),
    .spec(
        "steps on a rolling strategy", image + "  rollout:\n    steps: [{weight: 50}]",
        "services/a.yaml:8:5: spec.rollout.steps: steps apply only to the canary strategy, not rolling"),
    .spec(
        "bad image", "  image: Shop/Web:1.0",
        "services/a.yaml:6:10: spec.image: 'Shop/Web:1.0' is not an image reference"),
    .spec(
        "bad cpu", image + "  resources: {cpu: lots}",
        "services/a.yaml:7:20: spec.resources.cpu: 'lots' is not a CPU amount"),
    .spec(
        "nesting too deep",
        image + "  command: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        "services/a.yaml:7:74: nesting deeper than 64 levels"),
    RejectedManifest(
        label: "a Fleet document among the services",
        services: [("services/a.yaml", "apiVersion: gitfleet/v1\nkind: Fleet\nmetadata: {name: a}\n")],
        expected: "services/a.yaml:2:7: kind: a Fleet document does not belong in this file (expected Service)"),
    RejectedManifest(
        label: "an error in the defaults", services: [("services/a.yaml", ManifestFixtures.service("a", spec: image))],
        fleet: "apiVersion: gitfleet/v1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  defaults: {replicas: lots}\n",
        expected: "fleet.yaml:5:24: spec.defaults.replicas: found a string"),
]

@Suite struct ManifestValidationTests {
    @Test(arguments: cases)
    func rejects(_ manifest: RejectedManifest) {
        let issues = ManifestFixtures.issues(manifest.services, fleet: manifest.fleet, limits: manifest.limits)
        #expect(issues.contains { $0.hasPrefix(manifest.expected) }, "\(issues.joined(separator: "\n"))")
    }

    @Test func reportsEveryIssueOfEveryFileAtOnce() {
        let issues = ManifestFixtures.issues([
            ("services/a.yaml", ManifestFixtures.service("a", spec: image + "  replicas: -1\n  ports: {http: 99999}")),
            ("services/b.yaml", ManifestFixtures.service("b", spec: "  replicas: x\n  dependsOn: [zzz]")),
            ("services/c.yaml", "key: [unclosed"),
        ])
        #expect(issues.count == 6, "\(issues.joined(separator: "\n"))")
        #expect(issues.filter { $0.hasPrefix("services/a.yaml") }.count == 2)
        #expect(issues.filter { $0.hasPrefix("services/b.yaml") }.count == 3)
        #expect(issues.filter { $0.hasPrefix("services/c.yaml") }.count == 1)
    }

    @Test func anErrorInTheDefaultsIsReportedOnceNotPerService() {
        let issues = ManifestFixtures.issues(
            (0..<5).map { ("services/s\($0).yaml", ManifestFixtures.service("s\($0)", spec: image)) },
            fleet: "apiVersion: gitfleet/v1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  defaults: {replicas: lots}\n")
        #expect(
            issues == [
                "fleet.yaml:5:24: spec.defaults.replicas: found a string (expected a whole number from 0 to 10000)"
            ])
    }

    @Test func bytesThatAreNotUTF8AreReportedWhereTheyAre() {
        let bytes = Array("apiVersion: gitfleet/v1\nkind: Serv".utf8) + [0xFF] + Array("ice\n".utf8)
        var decoder = ManifestDecoder()
        let result = decoder.fleet(
            fleetFile: nil, serviceFiles: [ManifestFile(path: "services/a.yaml", contents: bytes)])
        guard case .failure(let error) = result else {
            Issue.record("invalid UTF-8 was accepted")
            return
        }
        #expect(
            error.issues.map(\.description).contains {
                $0.hasPrefix("services/a.yaml:2:11: the file is not valid UTF-8 text")
            })
    }

    @Test func hostileInputsDoNotCrash() {
        let inputs: [[UInt8]] = [
            Array("&a [*a]".utf8), Array("*undefined".utf8), Array(repeating: UInt8(ascii: "{"), count: 10_000),
            Array(repeating: UInt8(ascii: "-"), count: 5_000), [0xFF, 0xFE, 0x00], Array("? [*a]\n: x".utf8),
            Array("a: !!binary AAAA\n? {a: b}\n: c".utf8), Array("---\n...\n---\n".utf8), [],
        ]
        for input in inputs {
            var decoder = ManifestDecoder()
            let result = decoder.fleet(
                fleetFile: nil, serviceFiles: [ManifestFile(path: "services/h.yaml", contents: input)])
            guard case .failure(let error) = result else {
                Issue.record("hostile input was accepted: \(input.prefix(20))")
                continue
            }
            #expect(!error.issues.isEmpty)
        }
    }
}
