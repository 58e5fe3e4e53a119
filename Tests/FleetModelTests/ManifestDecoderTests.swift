import FleetModel
import Foundation
import Testing

@Suite struct ManifestDecoderTests {
    @Test func decodesEveryFieldOfARealisticFleet() throws {
        let fleet = try ManifestFixtures.decode(
            [("services/web.yaml", ManifestFixtures.web), ("services/db-migrate.yml", ManifestFixtures.dbMigrate)],
            fleet: ManifestFixtures.fleet
        ).get()
        #expect(fleet.name == "production")
        #expect(fleet.services.map(\.name) == ["db-migrate", "web"])
        let web = try #require(fleet.service(named: "web"))
        #expect(web.labels == ["team": "storefront"])
        #expect(web.image == ImageReference(repository: "shop/web", tag: "1.5.0"))
        #expect(web.replicas == 3)
        #expect(web.command == ["/app/web", "--port", "$(PORT)"])
        // The service's LOG_LEVEL wins; TZ comes from the defaults.
        #expect(web.env == ["LOG_LEVEL": "debug", "REGION": "eu-1", "TZ": "UTC"])
        #expect(web.ports == ["http": 0, "admin": 9090])
        let health = try #require(web.health)
        #expect(health.probe == .http(path: "/healthz", port: "http"))
        #expect(health.interval == .seconds(2))
        #expect(health.timeout == .milliseconds(500))
        #expect(health.healthyThreshold == 2)
        #expect(health.unhealthyThreshold == 3)
        #expect(health.startTimeout == .seconds(60))
        #expect(
            web.resources == Resources(cpu: 0.5, memory: 256 << 20, user: "1000:1000", readOnlyRootFilesystem: true))
        // The service's maxSurge wins over the default 2.
        #expect(web.rollout.maxSurge == .percent(25))
        #expect(web.rollout.maxUnavailable == .count(0))
        #expect(web.rollout.minReady == .seconds(5))
        #expect(web.rollout.progressDeadline == .seconds(600))
        #expect(web.drain == DrainPolicy(delay: .seconds(5), gracePeriod: .seconds(30)))
        #expect(web.maxAge == .seconds(86_400))
        #expect(web.dependsOn == ["db-migrate"])

        let migrate = try #require(fleet.service(named: "db-migrate"))
        #expect(migrate.image.digest == "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
        #expect(migrate.health?.probe == .exec(command: ["/app/migrate", "--check"]))
        #expect(migrate.rollout.strategy == .canary)
        #expect(migrate.rollout.steps.map(\.weight) == [10, 50, 100])
        #expect(migrate.rollout.steps.map(\.pause) == [.seconds(60), .seconds(300), .zero])
        // Inherited from the defaults: mappings merge deeply.
        #expect(migrate.rollout.maxSurge == .count(2))
        #expect(migrate.drain == DrainPolicy(delay: .seconds(5), gracePeriod: .seconds(45)))
        #expect(migrate.env == ["LOG_LEVEL": "info", "TZ": "UTC"])
    }

    /// A gate is `pause: {}`: with a weight it goes there and waits; without one it waits at the step before's weight.
    @Test func canaryGatesAreReadInBothForms() throws {
        let fleet = try ManifestFixtures.decode([
            (
                "services/a.yaml",
                ManifestFixtures.service(
                    "a",
                    spec: "  image: shop/a\n  rollout:\n    strategy: canary\n    steps:\n"
                        + "      - {weight: 20, pause: {}}\n      - {weight: 50, pause: 0s}\n      - pause: {}\n"
                        + "      - {weight: 80, pause: 30s}")
            )
        ]).get()
        let steps = try #require(fleet.services.first).rollout.steps
        #expect(
            steps == [
                .init(weight: 20, pause: .zero, gate: true), .init(weight: 50, pause: .zero),
                .init(weight: 50, pause: .zero, gate: true), .init(weight: 80, pause: .seconds(30)),
            ])
    }

    /// A stored spec written before gates existed decodes as before, and a step that is no gate encodes as it did.
    @Test func canaryStepsWithoutAGateKeepTheirEncoding() throws {
        let pause = String(decoding: try JSONEncoder().encode(Duration.seconds(60)), as: UTF8.self)
        let old = Data(#"{"weight":20,"pause":\#(pause)}"#.utf8)
        let decoded = try JSONDecoder().decode(RolloutPolicy.CanaryStep.self, from: old)
        #expect(decoded == .init(weight: 20, pause: .seconds(60)))
        let encoded = String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self)
        #expect(!encoded.contains("gate"))
        let gate = RolloutPolicy.CanaryStep(weight: 20, pause: .zero, gate: true)
        #expect(try JSONDecoder().decode(RolloutPolicy.CanaryStep.self, from: JSONEncoder().encode(gate)) == gate)
    }

    @Test func minimalServiceGetsTheDocumentedDefaults() throws {
        let fleet = try ManifestFixtures.decode([
            ("services/a.yaml", ManifestFixtures.service("a", spec: "  image: shop/a"))
        ]).get()
        #expect(fleet.name == "default")
        let spec = try #require(fleet.services.first)
        #expect(spec == ServiceSpec(name: "a", image: ImageReference(repository: "shop/a", tag: "latest")))
        #expect(spec.replicas == 1)
        #expect(spec.rollout == RolloutPolicy())
        #expect(spec.drain == DrainPolicy(delay: .seconds(5), gracePeriod: .seconds(30)))
    }

    @Test func severalDocumentsInOneFile() throws {
        let text =
            ManifestFixtures.service("a", spec: "  image: shop/a") + "\n---\n"
            + ManifestFixtures.service("b", spec: "  image: shop/b\n  replicas: 0")
        let fleet = try ManifestFixtures.decode([("services/all.yaml", text)]).get()
        #expect(fleet.services.map(\.name) == ["a", "b"])
        #expect(fleet.service(named: "b")?.replicas == 0)
    }

    @Test func aServiceProbeReplacesTheDefaultProbe() throws {
        let fleetText = """
            apiVersion: gitfleet/v1
            kind: Fleet
            metadata: {name: f}
            spec:
              defaults:
                ports: {http: 0}
                health: {http: {path: /healthz, port: http}, interval: 5s}
            """
        let service = ManifestFixtures.service("a", spec: "  image: shop/a\n  health: {tcp: {port: http}}")
        let fleet = try ManifestFixtures.decode([("services/a.yaml", service)], fleet: fleetText).get()
        let health = try #require(fleet.services.first?.health)
        #expect(health.probe == .tcp(port: "http"))
        #expect(health.interval == .seconds(5))
    }

    @Test func fleetNameComesFromFleetYamlOrDefaults() {
        var decoder = ManifestDecoder()
        #expect(decoder.fleetName(fleetFile: nil) == "default")
        #expect(
            decoder.fleetName(fleetFile: ManifestFile(path: "fleet.yaml", text: ManifestFixtures.fleet)) == "production"
        )
    }

    @Test func acceptsTheExamplesDirectory() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let examples = root.appendingPathComponent("examples")
        let fleetData = try Data(contentsOf: examples.appendingPathComponent("fleet.yaml"))
        let serviceDirectory = examples.appendingPathComponent("services")
        let names = try FileManager.default.contentsOfDirectory(atPath: serviceDirectory.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        let files = try names.map { name in
            ManifestFile(
                path: "services/\(name)",
                contents: Array(try Data(contentsOf: serviceDirectory.appendingPathComponent(name))))
        }
        var decoder = ManifestDecoder()
        let fleet = try decoder.fleet(
            fleetFile: ManifestFile(path: "fleet.yaml", contents: Array(fleetData)), serviceFiles: files
        ).get()
        #expect(fleet.name == "demo")
        #expect(fleet.services.map(\.name) == ["api", "web"])
        #expect(fleet.service(named: "web")?.replicas == 3)
        #expect(fleet.service(named: "web")?.image.description == "demo/web:1.0.0")
        #expect(fleet.service(named: "web")?.health?.probe == .http(path: "/healthz", port: "http"))
        #expect(fleet.service(named: "api")?.image.description == "demo/api:1.0.0")
        #expect(fleet.service(named: "api")?.env == ["LOG_LEVEL": "info"])
    }

    @Test func reloadReusesEveryUnchangedFile() throws {
        var decoder = ManifestDecoder()
        func files(changing changed: Int?) -> [ManifestFile] {
            (0..<50).map { index in
                let replicas = index == changed ? 7 : 2
                return ManifestFile(
                    path: "services/s\(index).yaml",
                    text: ManifestFixtures.service(
                        "s\(index)", spec: "  image: shop/s:\(index)\n  replicas: \(replicas)"),
                    blobID: "blob-\(index)-\(replicas)")
            }
        }
        let fleetFile = ManifestFile(path: "fleet.yaml", text: ManifestFixtures.fleet, blobID: "fleet-1")
        _ = try decoder.fleet(fleetFile: fleetFile, serviceFiles: files(changing: nil)).get()
        #expect(decoder.lastLoad.parsedFiles == 51)
        let second = try decoder.fleet(fleetFile: fleetFile, serviceFiles: files(changing: 3)).get()
        #expect(decoder.lastLoad.parsedFiles == 1)
        #expect(decoder.lastLoad.decodedFiles == 1)
        #expect(decoder.lastLoad.reusedFiles == 49)
        #expect(second.service(named: "s3")?.replicas == 7)
        #expect(second.service(named: "s3")?.env["TZ"] == "UTC")

        // New defaults: every spec is decoded again from the cached parse, nothing is re-parsed but fleet.yaml.
        let newFleet = ManifestFile(
            path: "fleet.yaml", text: ManifestFixtures.fleet.replacingOccurrences(of: "UTC", with: "CET"),
            blobID: "fleet-2")
        let third = try decoder.fleet(fleetFile: newFleet, serviceFiles: files(changing: 3)).get()
        #expect(decoder.lastLoad.parsedFiles == 1)
        #expect(decoder.lastLoad.decodedFiles == 50)
        #expect(third.service(named: "s10")?.env["TZ"] == "CET")
    }

    @Test func cachedIssuesAreReportedAgain() {
        var decoder = ManifestDecoder()
        let bad = ManifestFile(
            path: "services/a.yaml", text: ManifestFixtures.service("a", spec: "  image: shop/a\n  replica: 2"),
            blobID: "x")
        for _ in 0..<2 {
            guard case .failure(let error) = decoder.fleet(fleetFile: nil, serviceFiles: [bad]) else {
                Issue.record("expected a failure")
                return
            }
            #expect(
                error.issues.map(\.description) == [
                    "services/a.yaml:7:3: spec.replica: unknown field 'replica'; did you mean 'replicas'? (expected one of image, replicas, command, env, ports, health, resources, rollout, drain, maxAge, dependsOn, secretFiles, readiness, liveness)"
                ])
        }
        #expect(decoder.lastLoad.reusedFiles == 1)
    }
}
