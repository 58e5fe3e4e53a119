import FleetModel
import Testing

@Suite struct SpecHashTests {
    static let base = """
        apiVersion: gitfleet/v1
        kind: Service
        metadata: {name: web, labels: {team: a}}
        spec:
          image: shop/web:1.5.0
          replicas: 3
          command: [/app/web, --port, "$(PORT)"]
          env: {A: "1", B: "2"}
          ports: {http: 0}
          health: {http: {path: /healthz, port: http}}
          resources: {cpu: 500m, memory: 256Mi}
          rollout: {maxSurge: 1}
          drain: {delay: 5s}
          dependsOn: [db]
        """

    static func hash(_ text: String) throws -> SpecHash {
        let db = ManifestFixtures.service("db", spec: "  image: shop/db")
        let fleet = try ManifestFixtures.decode([("services/web.yaml", text), ("services/db.yaml", db)]).get()
        return SpecHash(try #require(fleet.service(named: "web")))
    }

    @Test func isStableAndPinned() throws {
        let first = try Self.hash(Self.base)
        #expect(try Self.hash(Self.base) == first)
        // Pinned: a change here replaces every running instance, so it must be deliberate (new version tag).
        #expect(first.rawValue == "d764703e7d16333051931641dadb3eccd76657b7041594ce8cbfcd5a7d37f660")
    }

    /// The checks added after v1 leave every spec that does not use them at the hash pinned above: the new keys
    /// are written only when set.
    @Test func aCheckWithoutTheNewFieldsKeepsItsCanonicalForm() throws {
        let json = SpecHash.canonicalJSON(
            ServiceSpec(
                name: "web", image: ImageReference(repository: "shop/web"), ports: ["http": 0],
                health: HealthCheck(probe: .http(path: "/healthz", port: "http"))))
        #expect(
            json.contains(
                #""health":{"healthyThreshold":1,"http":{"path":"/healthz","port":"http"},"intervalMs":1000,"#))
        #expect(!json.contains("readiness") && !json.contains("liveness"))
    }

    @Test func ignoresKeyOrderInYAMLAndEnvOrder() throws {
        let reordered = """
            kind: Service
            apiVersion: gitfleet/v1
            spec:
              env: {B: "2", A: "1"}
              resources: {memory: 256Mi, cpu: 500m}
              ports: {http: 0}
              health: {http: {port: http, path: /healthz}}
              command: [/app/web, --port, "$(PORT)"]
              replicas: 3
              image: shop/web:1.5.0
              dependsOn: [db]
            metadata: {labels: {team: a}, name: web}
            """
        #expect(try Self.hash(reordered) == Self.hash(Self.base))
    }

    @Test(arguments: [
        ("replicas: 3", "replicas: 9"),
        ("rollout: {maxSurge: 1}", "rollout: {maxSurge: 3, strategy: blueGreen}"),
        ("drain: {delay: 5s}", "drain: {delay: 1s, gracePeriod: 1m}"),
        ("labels: {team: a}", "labels: {team: b}"),
        ("dependsOn: [db]", "dependsOn: []"),
        ("drain: {delay: 5s}", "drain: {delay: 5s}\n  maxAge: 24h"),
    ])
    func isUnchangedBy(_ change: (String, String)) throws {
        let changed = Self.base.replacingOccurrences(of: change.0, with: change.1)
        #expect(changed != Self.base)
        #expect(try Self.hash(changed) == Self.hash(Self.base))
    }

    @Test(arguments: [
        ("image: shop/web:1.5.0", "image: shop/web:1.5.1"),
        ("command: [/app/web, --port, \"$(PORT)\"]", "command: [/app/web]"),
        ("A: \"1\"", "A: \"one\""),
        ("ports: {http: 0}", "ports: {http: 8080}"),
        ("path: /healthz", "path: /ready"),
        ("cpu: 500m", "cpu: 1"),
        ("memory: 256Mi", "memory: 512Mi"),
        ("port: http}}", "port: http, method: HEAD}}"),
        ("port: http}}", "port: http, headers: {X-Probe: \"1\"}}}"),
        ("port: http}}", "port: http, status: [200]}}"),
        ("health: {http: {path: /healthz, port: http}}", "health: {grpc: {port: http}}"),
        ("health: {http: {path: /healthz, port: http}}", "readiness: {http: {path: /healthz, port: http}}"),
        ("health: {http: {path: /healthz, port: http}}", "liveness: {http: {path: /healthz, port: http}}"),
    ])
    func isChangedBy(_ change: (String, String)) throws {
        let changed = Self.base.replacingOccurrences(of: change.0, with: change.1)
        #expect(changed != Self.base)
        #expect(try Self.hash(changed) != Self.hash(Self.base))
    }
}
