import FleetModel
import Foundation
import Testing

/// The probe fields added after v1 (http method, headers and status; grpc) and the readiness and liveness checks.
@Suite struct HealthCheckDecoderTests {
    static func web(_ spec: String) throws -> ServiceSpec {
        let text = ManifestFixtures.service(
            "web", spec: "  image: shop/web:1.5.0\n  ports: {http: 0, grpc: 0}\n" + spec)
        let fleet = try ManifestFixtures.decode([("services/web.yaml", text)]).get()
        return try #require(fleet.service(named: "web"))
    }

    @Test func decodesAnHTTPProbeWithMethodHeadersAndStatus() throws {
        let spec = try Self.web(
            """
              health:
                http:
                  path: /healthz
                  port: http
                  method: POST
                  headers: {Host: web.internal, X-Probe: "1"}
                  status: [200, "204", "300-302"]
            """)
        #expect(
            spec.health?.probe
                == .http(
                    path: "/healthz", port: "http", method: "POST", headers: ["Host": "web.internal", "X-Probe": "1"],
                    status: [200...200, 204...204, 300...302]))
        let single = try Self.web("  health: {http: {path: /, port: http, status: \"200-299\"}}")
        #expect(single.health?.probe == .http(path: "/", port: "http", status: [200...299]))
    }

    @Test func anHTTPProbeWithoutTheNewFieldsIsTheOneOfV1() throws {
        let spec = try Self.web("  health: {http: {path: /healthz, port: http}}")
        #expect(spec.health?.probe == .http(path: "/healthz", port: "http", method: nil, headers: nil, status: nil))
    }

    @Test func decodesTheStartupIntervalAndDefaultsItByProbe() throws {
        let written = try Self.web("  health: {http: {path: /, port: http}, interval: 2s, startupInterval: 50ms}")
        #expect(written.health?.startupInterval == .milliseconds(50))
        #expect(written.health?.effectiveStartupInterval == .milliseconds(50))
        let http = try Self.web("  health: {http: {path: /, port: http}, interval: 2s}")
        #expect(http.health?.startupInterval == nil)
        #expect(http.health?.effectiveStartupInterval == HealthCheck.defaultStartupInterval)
        // Written, it is part of the spec hash (the pinned hashes of SpecHashTests show that unwritten it is not).
        #expect(SpecHash(http) != SpecHash(written))
        let exec = try Self.web("  health: {exec: {command: [/bin/true]}, interval: 2s}")
        #expect(exec.health?.effectiveStartupInterval == .seconds(2), "an exec probe starts a process each time")
    }

    @Test func aStartupIntervalLongerThanTheIntervalIsALocatedError() {
        let text = ManifestFixtures.service(
            "web",
            spec: "  image: shop/web:1.5.0\n  ports: {http: 0}\n"
                + "  health:\n    http: {path: /, port: http}\n    interval: 1s\n    startupInterval: 2s\n")
        let issues = ManifestFixtures.issues([("services/web.yaml", text)])
        #expect(
            issues.contains {
                $0.hasPrefix("services/web.yaml:")
                    && $0.hasSuffix(
                        "spec.health.startupInterval: 2s is out of range (expected a duration like 30s, 10m or 1h30m"
                            + " from 10ms to 1s)")
            }, "\(issues)")
    }

    @Test func decodesAGRPCProbe() throws {
        #expect(try Self.web("  health: {grpc: {port: grpc}}").health?.probe == .grpc(port: "grpc", service: nil))
        let named = try Self.web("  health: {grpc: {port: grpc, service: shop.Web}}")
        #expect(named.health?.probe == .grpc(port: "grpc", service: "shop.Web"))
    }

    @Test func decodesReadinessAndLivenessNextToHealth() throws {
        let spec = try Self.web(
            """
              readiness:
                http: {path: /readyz, port: http}
                unhealthyThreshold: 1
              liveness:
                grpc: {port: grpc}
                interval: 5s
            """)
        #expect(spec.health == nil)
        #expect(spec.readiness == HealthCheck(probe: .http(path: "/readyz", port: "http"), unhealthyThreshold: 1))
        #expect(spec.liveness == HealthCheck(probe: .grpc(port: "grpc"), interval: .seconds(5)))
        #expect(spec.readinessCheck == spec.readiness && spec.livenessCheck == spec.liveness)
        #expect(spec.separateLivenessCheck == spec.liveness)

        let healthOnly = try Self.web("  health: {tcp: {port: http}}")
        #expect(healthOnly.readinessCheck == healthOnly.health && healthOnly.livenessCheck == healthOnly.health)
        #expect(healthOnly.separateLivenessCheck == nil)
    }

    @Test func fleetDefaultsMergeIntoReadinessLikeHealth() throws {
        let fleet = """
            apiVersion: gitfleet/v1
            kind: Fleet
            metadata: {name: f}
            spec:
              defaults:
                readiness: {http: {path: /readyz, port: http}, interval: 2s}
            """
        let service = ManifestFixtures.service(
            "web", spec: "  image: shop/web\n  ports: {http: 0}\n  readiness: {tcp: {port: http}}")
        let decoded = try ManifestFixtures.decode([("services/web.yaml", service)], fleet: fleet).get()
        let readiness = try #require(decoded.service(named: "web")?.readiness)
        // The service's probe replaces the default probe; the default interval stays.
        #expect(readiness.probe == .tcp(port: "http"))
        #expect(readiness.interval == .seconds(2))
    }
}

/// Specs are stored as JSON (the registry's last good spec, the live-state document): one written before the new
/// fields existed must decode, and a spec that does not use them must encode as it did.
@Suite struct HealthCheckCodingTests {
    @Test func aProbeWithoutTheNewFieldsEncodesAsBefore() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(
            decoding: try encoder.encode(HealthCheck.Probe.http(path: "/healthz", port: "http")), as: UTF8.self)
        #expect(json == #"{"http":{"path":"\/healthz","port":"http"}}"#)
        let spec = ServiceSpec(name: "web", image: ImageReference(repository: "shop/web"))
        let encoded = String(decoding: try encoder.encode(spec), as: UTF8.self)
        #expect(!encoded.contains("readiness") && !encoded.contains("liveness"))
    }

    @Test func aStoredV1ProbeDecodesAndTheNewOnesRoundTrip() throws {
        let stored = Data(#"{"http":{"path":"/healthz","port":"http"}}"#.utf8)
        #expect(try JSONDecoder().decode(HealthCheck.Probe.self, from: stored) == .http(path: "/healthz", port: "http"))
        for probe in [
            HealthCheck.Probe.http(
                path: "/", port: "http", method: "HEAD", headers: ["X-Probe": "1"], status: [200...204, 301...301]),
            .grpc(port: "grpc", service: "shop.Web"), .grpc(port: "grpc"),
        ] {
            #expect(try JSONDecoder().decode(HealthCheck.Probe.self, from: try JSONEncoder().encode(probe)) == probe)
        }
    }
}
