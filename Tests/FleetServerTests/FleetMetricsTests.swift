import FleetController
import FleetModel
import Foundation
import Testing

@Suite("FleetMetrics: the Prometheus text exposition format")
struct FleetMetricsTests {
    private static let requests = MetricFamily(
        name: "test_requests_total", help: "Requests with a \\ backslash\nand a line break.", kind: .counter,
        labelNames: ["path", "code"])
    private static let latency = MetricFamily(
        name: "test_latency_seconds", help: "Latency.", kind: .histogram(buckets: [0.1, 0.5, 1]),
        labelNames: ["route"])

    private func lines(_ metrics: FleetMetrics) -> [String] {
        metrics.render().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test("every family has one HELP and one TYPE line, before its samples, even without samples")
    func helpAndType() {
        let metrics = FleetMetrics()
        let text = lines(metrics)
        for family in MetricFamily.gitfleet {
            let help = text.firstIndex { $0.hasPrefix("# HELP \(family.name) ") }
            let type = text.firstIndex(of: "# TYPE \(family.name) \(family.kind.exposition)")
            #expect(help != nil && type == help.map { $0 + 1 }, "\(family.name)")
        }
        #expect(text.last == "")  // the format requires a final line feed
    }

    @Test("HELP text and label values are escaped")
    func escaping() {
        let metrics = FleetMetrics(families: [Self.requests])
        metrics.increment(Self.requests, labels: ["path": #"C:\dir "quoted""# + "\nnext", "code": "200"])
        #expect(
            lines(metrics) == [
                #"# HELP test_requests_total Requests with a \\ backslash\nand a line break."#,
                "# TYPE test_requests_total counter",
                #"test_requests_total{path="C:\\dir \"quoted\"\nnext",code="200"} 1"#,
                "",
            ])
    }

    @Test("counters add up per label set; series are sorted; whole numbers have no fraction")
    func counters() {
        let metrics = FleetMetrics(families: [Self.requests])
        metrics.increment(Self.requests, labels: ["path": "/b", "code": "200"])
        metrics.increment(Self.requests, by: 2, labels: ["path": "/a", "code": "500"])
        metrics.increment(Self.requests, by: 0.5, labels: ["path": "/b", "code": "200"])
        #expect(
            Array(lines(metrics).dropFirst(2)) == [
                #"test_requests_total{path="/a",code="500"} 2"#,
                #"test_requests_total{path="/b",code="200"} 1.5"#,
                "",
            ])
        #expect(metrics.value(of: Self.requests, labels: ["path": "/a", "code": "500"]) == 2)
    }

    @Test("histogram buckets are cumulative and end in +Inf, followed by _sum and _count")
    func histogram() {
        let metrics = FleetMetrics(families: [Self.latency])
        for value in [0.0625, 0.25, 0.25, 0.75, 2.5] {
            metrics.observe(Self.latency, value, labels: ["route": "/x"])
        }
        #expect(
            Array(lines(metrics).dropFirst(2)) == [
                #"test_latency_seconds_bucket{route="/x",le="0.1"} 1"#,
                #"test_latency_seconds_bucket{route="/x",le="0.5"} 3"#,
                #"test_latency_seconds_bucket{route="/x",le="1"} 4"#,
                #"test_latency_seconds_bucket{route="/x",le="+Inf"} 5"#,
                #"test_latency_seconds_sum{route="/x"} 3.8125"#,
                #"test_latency_seconds_count{route="/x"} 5"#,
                "",
            ])
        let totals = metrics.histogramTotals(of: Self.latency, labels: ["route": "/x"])
        #expect(totals?.count == 5)
    }

    @Test("an observation equal to a bucket bound counts in that bucket (le means <=)")
    func bucketBoundary() {
        let metrics = FleetMetrics(families: [Self.latency])
        metrics.observe(Self.latency, 0.5, labels: ["route": "/"])
        #expect(lines(metrics).contains(#"test_latency_seconds_bucket{route="/",le="0.5"} 1"#))
        #expect(lines(metrics).contains(#"test_latency_seconds_bucket{route="/",le="0.1"} 0"#))
    }

    @Test("the deployed revision info keeps exactly one series, for the latest revision")
    func deployedRevision() {
        let metrics = FleetMetrics()
        metrics.setDeployedRevision("aaaa")
        metrics.setDeployedRevision("bbbb")
        let series = lines(metrics).filter { $0.hasPrefix("gitfleet_deployed_revision_info{") }
        #expect(series == [#"gitfleet_deployed_revision_info{revision="bbbb"} 1"#])
    }

    @Test("instance counts cover every state, drop to 0 when a state empties, and go with their service")
    func instanceCounts() {
        let metrics = FleetMetrics()
        metrics.setInstanceCounts(service: "web", counts: [.serving: 3, .draining: 1])
        metrics.setInstanceCounts(service: "web", counts: [.serving: 3])
        metrics.setInstanceCounts(service: "api", counts: [.serving: 1])
        #expect(metrics.value(of: .instances, labels: ["service": "web", "state": "draining"]) == 0)
        #expect(metrics.value(of: .instances, labels: ["service": "web", "state": "serving"]) == 3)
        let webSeries = lines(metrics).filter { $0.hasPrefix(#"gitfleet_instances{service="web""#) }
        #expect(webSeries.count == InstanceState.allCases.count)

        metrics.removeService("web")
        #expect(!metrics.render().contains(#"service="web""#))
        #expect(metrics.value(of: .instances, labels: ["service": "api", "state": "serving"]) == 1)
    }

    @Test("the controller's recording calls land in the documented families")
    func recordingCalls() {
        let metrics = FleetMetrics()
        metrics.recordReconcile(result: "converged", duration: .milliseconds(20))
        metrics.recordRollout(service: "web", result: .rolledBack)
        metrics.setServicePhase(service: "web", phase: .rollingBack)
        metrics.recordDrift(service: "web", kind: "unknown_instance", count: 2)
        metrics.recordGitFetch(duration: .seconds(2), failureCode: "network")
        metrics.recordWebhook(provider: "github", outcome: "triggered")
        let text = lines(metrics)
        #expect(text.contains(#"gitfleet_reconciles_total{result="converged"} 1"#))
        #expect(text.contains(#"gitfleet_reconcile_duration_seconds_bucket{le="0.01"} 0"#))
        #expect(text.contains(#"gitfleet_reconcile_duration_seconds_bucket{le="0.025"} 1"#))
        #expect(text.contains(#"gitfleet_rollouts_total{service="web",result="rolled-back"} 1"#))
        #expect(text.contains(#"gitfleet_service_phase{service="web",phase="rolling-back"} 1"#))
        #expect(text.contains(#"gitfleet_service_phase{service="web",phase="converged"} 0"#))
        #expect(text.contains(#"gitfleet_drift_found_total{service="web",kind="unknown_instance"} 2"#))
        #expect(text.contains(#"gitfleet_git_fetch_duration_seconds_count 1"#))
        #expect(text.contains(#"gitfleet_git_failures_total{operation="fetch",code="network"} 1"#))
        #expect(text.contains(#"gitfleet_webhook_requests_total{provider="github",outcome="triggered"} 1"#))
    }

    @Test("concurrent recording from many tasks loses no increment")
    func concurrentRecording() async {
        let metrics = FleetMetrics(families: [Self.requests, Self.latency])
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for _ in 0..<1000 {
                        metrics.increment(Self.requests, labels: ["path": "/\(task % 2)", "code": "200"])
                        metrics.observe(Self.latency, 0.2, labels: ["route": "/"])
                        _ = metrics.render().count
                    }
                }
            }
        }
        #expect(metrics.value(of: Self.requests, labels: ["path": "/0", "code": "200"]) == 4000)
        #expect(metrics.histogramTotals(of: Self.latency, labels: ["route": "/"])?.count == 8000)
    }
}
