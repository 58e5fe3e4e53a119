import FleetController
import FleetModel
import Foundation
import GitFleetTesting
import Testing

@Suite("FleetMetrics: recording through swift-metrics into a swift-prometheus registry")
struct FleetMetricsTests {
    private static let requests = MetricFamily(
        name: "test_requests_total", help: "Requests with a \\ backslash.", kind: .counter,
        labelNames: ["path", "code"])
    private static let latency = MetricFamily(
        name: "test_latency_seconds", help: "Latency.", kind: .histogram(buckets: [0.1, 0.5, 1]),
        labelNames: ["route"])

    private func scrape(_ metrics: FleetMetrics) throws -> PrometheusExposition {
        try PrometheusExposition(metrics.exposition())
    }

    @Test("before anything is recorded, unlabeled counters and histograms are there at zero, and nothing else")
    func initialFamilies() throws {
        let exposition = try scrape(FleetMetrics())
        #expect(exposition.value("gitfleet_reconcile_duration_seconds_count") == 0)
        #expect(exposition.value("gitfleet_git_fetch_duration_seconds_bucket", ["le": "+Inf"]) == 0)
        #expect(exposition.types["gitfleet_reconcile_duration_seconds"] == "histogram")
        // Gauges and labeled families wait for a value rather than invent one.
        #expect(exposition.types["gitfleet_leader"] == nil)
        #expect(exposition.types["gitfleet_reconciles_total"] == nil)
        #expect(exposition.types["gitfleet_build_info"] == nil)
    }

    @Test("once recorded, every declared family has its HELP text, TYPE and label names exactly as declared")
    func declaredFamilies() throws {
        let metrics = FleetMetrics()
        metrics.recordEveryFamily()
        let exposition = try scrape(metrics)
        for family in MetricFamily.all {
            #expect(exposition.help[family.name] == family.help, "\(family.name)")
            #expect(exposition.types[family.name] == family.kind.exposition, "\(family.name)")
            let samples = exposition.samples(of: family.name)
            #expect(!samples.isEmpty, "\(family.name) has no sample")
            for sample in samples {
                let names = sample.labels.map(\.name).filter { $0 != "le" }
                #expect(names == family.labelNames, "\(sample)")
            }
        }
        let declared = Set(MetricFamily.all.map(\.name))
        #expect(Set(exposition.types.keys) == declared)
    }

    @Test("label values with backslashes, quotes and line breaks survive the exposition")
    func escaping() throws {
        let metrics = FleetMetrics(families: [Self.requests])
        let path = #"C:\dir "quoted""# + "\nnext"
        metrics.increment(Self.requests, labels: ["path": path, "code": "200"])
        let exposition = try scrape(metrics)
        #expect(exposition.value("test_requests_total", ["path": path, "code": "200"]) == 1)
        #expect(exposition.help["test_requests_total"] == #"Requests with a \\ backslash."#)
    }

    @Test("counters add up per label set; whole counts have no fraction")
    func counters() throws {
        let metrics = FleetMetrics(families: [Self.requests])
        metrics.increment(Self.requests, labels: ["path": "/b", "code": "200"])
        metrics.increment(Self.requests, by: 2, labels: ["path": "/a", "code": "500"])
        metrics.increment(Self.requests, by: 3, labels: ["path": "/b", "code": "200"])
        let text = metrics.exposition()
        #expect(text.contains(#"test_requests_total{path="/a",code="500"} 2"# + "\n"))
        #expect(text.contains(#"test_requests_total{path="/b",code="200"} 4"# + "\n"))
    }

    @Test("histogram buckets are cumulative, include their bound, end in +Inf, and are followed by _sum and _count")
    func histogram() throws {
        let metrics = FleetMetrics(families: [Self.latency])
        for milliseconds in [62.5, 250, 250, 500, 750, 2500] {
            metrics.observe(Self.latency, .microseconds(Int64(milliseconds * 1000)), labels: ["route": "/x"])
        }
        let exposition = try scrape(metrics)
        let buckets = exposition.samples(of: "test_latency_seconds").filter { $0.name.hasSuffix("_bucket") }
        #expect(buckets.map { $0.labelSet["le"] } == ["0.1", "0.5", "1.0", "+Inf"])
        #expect(buckets.map(\.value) == [1, 4, 5, 6])
        #expect(exposition.value("test_latency_seconds_sum", ["route": "/x"]) == 4.3125)
        #expect(exposition.value("test_latency_seconds_count", ["route": "/x"]) == 6)
    }

    @Test("the controller's histograms use the documented duration buckets")
    func durationBuckets() throws {
        let exposition = try scrape(FleetMetrics())
        for name in [MetricFamily.reconcileDuration.name, MetricFamily.gitFetchDuration.name] {
            let bounds = exposition.samples(of: name).compactMap { $0.labelSet["le"] }
            #expect(bounds.dropLast().compactMap { Double($0) } == MetricFamily.durationBuckets, "\(name)")
            #expect(bounds.last == "+Inf")
        }
    }

    @Test("the deployed revision and the build info keep exactly one series, for the latest value")
    func infoMetrics() throws {
        let metrics = FleetMetrics()
        metrics.setDeployedRevision("aaaa")
        metrics.setDeployedRevision("bbbb")
        metrics.setBuildInfo(version: "0.1.0", commit: "0123abcd")
        let exposition = try scrape(metrics)
        #expect(exposition.samples(of: "gitfleet_deployed_revision_info").map(\.labelSet) == [["revision": "bbbb"]])
        #expect(exposition.value("gitfleet_deployed_revision_info", ["revision": "bbbb"]) == 1)
        #expect(exposition.value("gitfleet_build_info", ["version": "0.1.0", "commit": "0123abcd"]) == 1)
    }

    @Test("instance counts cover every state, drop to 0 when a state empties, and go with their service")
    func instanceCounts() throws {
        let metrics = FleetMetrics()
        metrics.setInstanceCounts(service: "web", counts: [.serving: 3, .draining: 1])
        metrics.setInstanceCounts(service: "web", counts: [.serving: 3])
        metrics.setInstanceCounts(service: "api", counts: [.serving: 1])
        metrics.setServicePhase(service: "web", phase: .converged)
        var exposition = try scrape(metrics)
        #expect(exposition.value("gitfleet_instances", ["service": "web", "state": "draining"]) == 0)
        #expect(exposition.value("gitfleet_instances", ["service": "web", "state": "serving"]) == 3)
        let webSeries = exposition.samples(of: "gitfleet_instances").filter { $0.labelSet["service"] == "web" }
        #expect(webSeries.count == InstanceState.allCases.count)

        metrics.removeService("web")
        exposition = try scrape(metrics)
        #expect(!metrics.exposition().contains(#"service="web""#))
        #expect(exposition.value("gitfleet_instances", ["service": "api", "state": "serving"]) == 1)
    }

    @Test("a service that is gone loses its phase and instance series; the others keep theirs")
    func retainServices() throws {
        let metrics = FleetMetrics()
        for service in ["web", "api"] {
            metrics.setServicePhase(service: service, phase: .converged)
            metrics.setInstanceCounts(service: service, counts: [.serving: 1])
        }
        metrics.retainServices(["api"])
        let exposition = try scrape(metrics)
        #expect(!metrics.exposition().contains(#"service="web""#))
        #expect(exposition.value("gitfleet_service_phase", ["service": "api", "phase": "converged"]) == 1)
        #expect(exposition.samples(of: "gitfleet_service_phase").count == ServicePhase.allCases.count)

        metrics.retainServices([])
        #expect(try scrape(metrics).types["gitfleet_service_phase"] == nil)
    }

    @Test("the controller's recording calls land in the documented families")
    func recordingCalls() throws {
        let metrics = FleetMetrics()
        let before = Date().timeIntervalSince1970
        metrics.recordReconcile(result: "converged", duration: .milliseconds(20))
        metrics.recordRollout(service: "web", result: .rolledBack)
        metrics.setServicePhase(service: "web", phase: .rollingBack)
        metrics.recordDrift(service: "web", kind: "unknown_instance", count: 2)
        metrics.recordGitFetch(duration: .seconds(2), failureCode: "network")
        metrics.recordWebhook(provider: "github", outcome: "triggered")
        let exposition = try scrape(metrics)
        #expect(exposition.value("gitfleet_reconciles_total", ["result": "converged"]) == 1)
        #expect(exposition.value("gitfleet_reconcile_duration_seconds_bucket", ["le": "0.01"]) == 0)
        #expect(exposition.value("gitfleet_reconcile_duration_seconds_bucket", ["le": "0.025"]) == 1)
        #expect(exposition.value("gitfleet_rollouts_total", ["service": "web", "result": "rolled-back"]) == 1)
        #expect(exposition.value("gitfleet_service_phase", ["service": "web", "phase": "rolling-back"]) == 1)
        #expect(exposition.value("gitfleet_service_phase", ["service": "web", "phase": "converged"]) == 0)
        #expect(exposition.value("gitfleet_drift_found_total", ["service": "web", "kind": "unknown_instance"]) == 2)
        #expect(exposition.value("gitfleet_git_fetch_duration_seconds_count") == 1)
        #expect(exposition.value("gitfleet_git_failures_total", ["operation": "fetch", "code": "network"]) == 1)
        #expect(
            exposition.value("gitfleet_webhook_requests_total", ["provider": "github", "outcome": "triggered"]) == 1)
        let reconciled = try #require(exposition.value("gitfleet_last_successful_reconcile_timestamp_seconds"))
        #expect(reconciled >= before.rounded(.down) && reconciled <= Date().timeIntervalSince1970)
    }

    @Test("a failed pass or fetch does not move the last-success timestamps")
    func lastSuccess() throws {
        let metrics = FleetMetrics()
        metrics.recordReconcile(result: "error", duration: .milliseconds(5))
        metrics.recordGitFetch(duration: .seconds(1), failureCode: "network")
        var exposition = try scrape(metrics)
        #expect(exposition.value("gitfleet_last_successful_reconcile_timestamp_seconds") == nil)
        #expect(exposition.value("gitfleet_last_successful_fetch_timestamp_seconds") == nil)

        let then = Date(timeIntervalSince1970: 1_790_000_000)
        metrics.recordReconcile(result: "in-progress", duration: .milliseconds(5), at: then)
        metrics.recordRemoteRead(at: then)
        metrics.recordReconcile(result: "error", duration: .milliseconds(5))
        exposition = try scrape(metrics)
        #expect(exposition.value("gitfleet_last_successful_reconcile_timestamp_seconds") == 1_790_000_000)
        #expect(exposition.value("gitfleet_last_successful_fetch_timestamp_seconds") == 1_790_000_000)
    }

    @Test("process metrics describe this process, read from /proc at each scrape")
    func processMetrics() throws {
        let metrics = FleetMetrics()
        let first = try scrape(metrics)
        let resident = try #require(first.value("process_resident_memory_bytes"))
        let virtual = try #require(first.value("process_virtual_memory_bytes"))
        #expect(resident > 1_000_000 && virtual >= resident)
        let open = try #require(first.value("process_open_fds"))
        let max = try #require(first.value("process_max_fds"))
        #expect(open >= 3 && open <= max)
        let started = try #require(first.value("process_start_time_seconds"))
        let now = Date().timeIntervalSince1970
        #expect(started <= now + 1 && started > now - 86_400 * 7, "started \(started), now \(now)")
        let cpu = try #require(first.value("process_cpu_seconds_total"))
        // Burn a little CPU; the counter never goes down and follows the kernel's count.
        var sum = 0.0
        for index in 0..<3_000_000 { sum += Double(index).squareRoot() }
        #expect(sum > 0)
        let later = try #require(try scrape(metrics).value("process_cpu_seconds_total"))
        #expect(later >= cpu && cpu > 0)
    }

    @Test("concurrent recording from many tasks loses no increment")
    func concurrentRecording() async throws {
        let metrics = FleetMetrics(families: [Self.requests, Self.latency])
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for iteration in 0..<1000 {
                        metrics.increment(Self.requests, labels: ["path": "/\(task % 2)", "code": "200"])
                        metrics.observe(Self.latency, .milliseconds(200), labels: ["route": "/"])
                        // Scrapes in between (each reads /proc, so not every time).
                        if iteration % 50 == 0 { _ = metrics.exposition().count }
                    }
                }
            }
        }
        let exposition = try scrape(metrics)
        #expect(exposition.value("test_requests_total", ["path": "/0", "code": "200"]) == 4000)
        #expect(exposition.value("test_latency_seconds_count", ["route": "/"]) == 8000)
    }
}

extension FleetMetrics {
    /// Records into every family the controller declares, so that each shows at least one series.
    func recordEveryFamily() {
        recordReconcile(result: "converged", duration: .milliseconds(20))
        recordRollout(service: "web", result: .converged)
        setServicePhase(service: "web", phase: .converged)
        setInstanceCounts(service: "web", counts: [.serving: 2])
        recordDrift(service: "web", kind: "exited")
        recordGitFetch(duration: .milliseconds(300), failureCode: "network")
        recordRemoteRead()
        setNotesUnpushed(0)
        setDeployedRevision("8c1f0e2a")
        setLeader(true)
        setFrozen(["web": true])
        recordWebhook(provider: "github", outcome: "triggered")
        setBuildInfo(version: "0.1.0", commit: "8c1f0e2a")
        recordDiscoveryPublication(result: "ok", servingSet: ServingSet(services: ["web": []]))
        recordEvent(type: "instance-serving")
        increment(.notifications, labels: ["target": "github:acme/fleet", "result": "delivered"])
        increment(.notificationFailures, labels: ["target": "github:acme/fleet"])
        for family in [MetricFamily.agentCurrent, .agentSilent, .agentFailing] {
            set(family, to: 0, labels: ["agent": "lb-1"])
        }
        increment(.agentReports, labels: ["agent": "lb-1"])
        set(.discoveryWaitingAgents, to: 0)
    }
}
