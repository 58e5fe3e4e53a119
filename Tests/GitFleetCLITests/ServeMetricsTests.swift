import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet serve exports its build, progress and process on /metrics", .serialized)
struct ServeMetricsTests {
    @Test("a served controller shows its build, the last successful reconcile and fetch, phases and process metrics")
    func servedMetrics() async throws {
        let version = try await BuiltProducts.gitfleet(["--version"])
        // "0.1.0 (commit <hex>)"
        let commit = try #require(
            version.standardOutput.split(separator: " ").last?.trimmingCharacters(
                in: CharacterSet(charactersIn: ")\n")),
            "\(version)")
        let release = try #require(version.standardOutput.split(separator: " ").first.map(String.init))
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        let started = Date().timeIntervalSince1970
        try await fleet.withServe(remote) { serve in
            let note = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            #expect(note != nil, "\(serve.log)")
            // The phase gauge is set by the pass after the note's; poll until the scrape shows it.
            var exposition = try PrometheusExposition(try await serve.request("GET", "/metrics").body)
            for _ in 0..<100
            where exposition.value("gitfleet_service_phase", ["service": "web", "phase": "converged"]) != 1 {
                try await Task.sleep(for: .milliseconds(200))
                exposition = try PrometheusExposition(try await serve.request("GET", "/metrics").body)
            }
            #expect(exposition.value("gitfleet_build_info", ["version": release, "commit": commit]) == 1)
            #expect(exposition.value("gitfleet_service_phase", ["service": "web", "phase": "converged"]) == 1)
            #expect(exposition.value("gitfleet_service_phase", ["service": "web", "phase": "failed"]) == 0)
            #expect(exposition.value("gitfleet_deployed_revision_info", ["revision": v1]) == 1)
            let now = Date().timeIntervalSince1970
            for name in [
                "gitfleet_last_successful_reconcile_timestamp_seconds",
                "gitfleet_last_successful_fetch_timestamp_seconds",
            ] {
                let at = try #require(exposition.value(name), "\(name) missing")
                #expect(at >= started.rounded(.down) && at <= now + 1, "\(name) = \(at)")
            }
            let processStarted = try #require(exposition.value("process_start_time_seconds"))
            #expect(processStarted >= started.rounded(.down) - 2 && processStarted <= now + 1)
            for name in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"] {
                #expect((exposition.value(name) ?? 0) > 0, "\(name)")
            }
            #expect(exposition.value("process_max_fds").map { $0 >= exposition.value("process_open_fds")! } == true)
        }
    }

    /// A controller that never reaches its remote still has both gauges, at its start: the stalled alerts
    /// (`time() - … > 900`) need a series to fire on.
    @Test("a controller that never fetches shows its start as the last successful reconcile and fetch")
    func stalledFromStart() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let started = Date().timeIntervalSince1970
        let missing = "file://\(fleet.repository.directory)/no-such-remote.git"
        try await fleet.withServe(remote, extra: ["--repo", missing]) { serve in
            let exposition = try PrometheusExposition(try await serve.request("GET", "/metrics").body)
            let now = Date().timeIntervalSince1970
            for name in [
                "gitfleet_last_successful_reconcile_timestamp_seconds",
                "gitfleet_last_successful_fetch_timestamp_seconds",
            ] {
                let at = try #require(exposition.value(name), "\(name) missing\n\(serve.log)")
                #expect(at >= started.rounded(.down) - 1 && at <= now + 1, "\(name) = \(at)")
            }
            let ready = try await serve.request("GET", "/readyz")
            #expect(ready.status == 503, "\(ready.body)")
        }
    }
}
