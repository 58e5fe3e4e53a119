import FleetModel

/// Builds fleets from YAML text for the manifest tests.
enum ManifestFixtures {
    static func decode(
        _ services: [(path: String, text: String)], fleet: String? = nil, limits: ManifestLimits = ManifestLimits()
    ) -> Result<Fleet, ManifestError> {
        var decoder = ManifestDecoder(limits: limits)
        return decoder.fleet(
            fleetFile: fleet.map { ManifestFile(path: "fleet.yaml", text: $0) },
            serviceFiles: services.map { ManifestFile(path: $0.path, text: $0.text) })
    }

    /// The issue lines (`file:line:column: path: message (expected …)`) of a load that must fail.
    static func issues(
        _ services: [(path: String, text: String)], fleet: String? = nil, limits: ManifestLimits = ManifestLimits()
    )
        -> [String]
    {
        switch decode(services, fleet: fleet, limits: limits) {
        case .success: return []
        case .failure(let error): return error.issues.map(\.description)
        }
    }

    static func service(_ name: String, spec: String, labels: String = "") -> String {
        """
        apiVersion: gitfleet/v1
        kind: Service
        metadata:
          name: \(name)\(labels)
        spec:
        \(spec)
        """
    }

    /// A realistic service, as a team would write it.
    static let web = """
        apiVersion: gitfleet/v1
        kind: Service
        metadata:
          name: web
          labels: {team: storefront}
        spec:
          image: shop/web:1.5.0
          replicas: 3
          command: ["/app/web", "--port", "$(PORT)"]
          env: {LOG_LEVEL: debug, REGION: "eu-1"}
          ports: {http: 0, admin: 9090}
          health:
            http: {path: /healthz, port: http}
            interval: 2s
            timeout: 500ms
            healthyThreshold: 2
            unhealthyThreshold: 3
            startTimeout: 60s
          resources:
            cpu: 500m
            memory: 256Mi
            user: "1000:1000"
            readOnlyRootFilesystem: true
          rollout:
            strategy: rolling
            maxSurge: 25%
            maxUnavailable: 0
            minReady: 5s
            progressDeadline: 10m
            autoRollback: true
          drain: {delay: 5s, gracePeriod: 30s}
          maxAge: 24h
          dependsOn: [db-migrate]
        """

    static let dbMigrate = """
        apiVersion: gitfleet/v1
        kind: Service
        metadata: {name: db-migrate}
        spec:
          image: shop/migrate@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          replicas: 1
          command: [/app/migrate, --wait]
          health:
            exec: {command: [/app/migrate, --check]}
          rollout:
            strategy: canary
            steps:
              - {weight: 10, pause: 1m}
              - {weight: 50, pause: 5m}
              - {weight: 100, pause: 0s}
        """

    static let fleet = """
        apiVersion: gitfleet/v1
        kind: Fleet
        metadata: {name: production}
        spec:
          defaults:
            env: {LOG_LEVEL: info, TZ: UTC}
            rollout: {maxSurge: 2}
            drain: {gracePeriod: 45s}
        """
}
