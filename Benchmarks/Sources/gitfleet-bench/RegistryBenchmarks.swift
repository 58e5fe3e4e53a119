import FleetModel
import FleetRegistry
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Registry commits per second through gitfleet's etcd registry, next to the same txns issued by a gRPC client
/// (python-etcd3, Benchmarks/reference/etcd_txn.py) against the same etcd in the same run.
///
/// Each gitfleet write is one registry commit of one instance record: one etcd txn that puts the record's JSON
/// and deletes its discovery key. The reference issues the same txn, with the same value read back from the key
/// gitfleet wrote, through one warm gRPC channel. Both run with one writer and then with `concurrency` writers at
/// once (tasks for gitfleet, threads for the reference), `runs` times each, alternating; the row compares medians.
enum RegistryBenchmarks {
    static func run(writes: Int, concurrency: Int, runs: Int) async throws {
        print("load average \(loadAverage()) at the start")
        let python = try ReferenceTools.python()
        let etcd = try LocalEtcd()
        defer { etcd.stop() }
        try await etcd.waitUntilHealthy()
        let registry = try EtcdRegistry(configuration: EtcdConfiguration(endpoints: [etcd.clientURL], prefix: "/bench"))
        var ratios: [(writers: Int, ours: Double, reference: Double)] = []
        do {
            for writers in [1, concurrency] {
                var ours = Timings(label: "gitfleet, \(writers) writer(s), writes/s")
                var reference = Timings(label: "gRPC client, \(writers) writer(s), writes/s")
                for run in 0..<runs {
                    let round = writers * 100 + run
                    ours.seconds.append(
                        try await gitfleetWrites(registry, writes: writes, writers: writers, round: round))
                    reference.seconds.append(
                        try referenceWrites(
                            python, etcd: etcd, writes: writes, writers: writers, round: round,
                            valueFrom: "/bench/instances/web-\(round)-0"))
                }
                print(rateSummary(ours))
                print(rateSummary(reference))
                print(String(format: "%2d writer(s): ratio of medians %.2f×", writers, ours.median / reference.median))
                ratios.append((writers, ours.median, reference.median))
            }
        } catch {
            try? await registry.close()
            throw error
        }
        try await registry.close()
        print("load average \(loadAverage()) at the end")
        let parts = ratios.map {
            String(
                format: "%d writer%@: %.0f vs %.0f txn/s = %.2f×", $0.writers, $0.writers == 1 ? "" : "s", $0.ours,
                $0.reference, $0.ours / $0.reference)
        }
        BenchRow(
            id: "etcd", benchmark: "etcd registry commits vs a gRPC client's txn rate on the same etcd",
            measured: parts.joined(separator: "; ") + " (medians of \(runs) runs of \(writes) writes)",
            target: "≥ 0.8×", met: ratios.allSatisfy { $0.ours / $0.reference >= 0.8 }
        ).emit()
    }

    /// A rate's median, min and max (``Timings`` holds rates here, not seconds).
    static func rateSummary(_ rates: Timings) -> String {
        String(
            format: "%@: median %.0f (min %.0f, max %.0f, %d runs)", rates.label, rates.median, rates.min, rates.max,
            rates.seconds.count)
    }

    static func record(_ index: Int, round: Int) -> InstanceRecord {
        InstanceRecord(
            id: "web-\(round)-\(index)", service: "web",
            specHash: SpecHash(rawValue: String(repeating: "a", count: 64)),
            revision: String(repeating: "b", count: 40),
            image: "demo/web:1.0.0@sha256:" + String(repeating: "c", count: 64),
            state: .starting, address: "127.0.0.1", ports: ["http": 8080], runtimeHandle: "4242",
            createdAt: Date())
    }

    static func gitfleetWrites(_ registry: EtcdRegistry, writes: Int, writers: Int, round: Int) async throws -> Double {
        let (_, seconds) = try await timedAsync {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in stride(from: writer, to: writes, by: writers) {
                            try await registry.commit([.putInstance(record(index, round: round))])
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        return Double(writes) / seconds
    }

    /// The reference's writes per second, as Benchmarks/reference/etcd_txn.py measures them around its own txns.
    static func referenceWrites(
        _ python: String, etcd: LocalEtcd, writes: Int, writers: Int, round: Int, valueFrom: String
    ) throws -> Double {
        let output = try ReferenceTools.run(
            python,
            [
                ReferenceTools.script("etcd_txn.py"), "--port", String(etcd.clientPort), "--writes", String(writes),
                "--writers", String(writers), "--round", String(round), "--value-from", valueFrom,
            ])
        guard let rate = Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BenchmarkError("etcd_txn.py printed '\(output)', not a rate")
        }
        return rate
    }
}

/// A single-member etcd in a temporary folder on loopback ports, for the registry benchmark.
final class LocalEtcd: @unchecked Sendable {
    let clientURL: String
    let clientPort: Int
    let process = Process()
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gitfleet-bench-etcd-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let base = Int.random(in: 20_000..<40_000)
        clientPort = base
        clientURL = "http://127.0.0.1:\(base)"
        let peerURL = "http://127.0.0.1:\(base + 1)"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
        process.arguments = [
            "--name", "bench", "--data-dir", directory.appendingPathComponent("data").path,
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", "bench=\(peerURL)",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func waitUntilHealthy() async throws {
        for _ in 0..<300 {
            if let (data, _) = try? await URLSession.shared.data(from: URL(string: clientURL + "/health")!),
                String(decoding: data, as: UTF8.self).contains("\"health\":\"true\"")
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchmarkError("etcd did not become healthy at \(clientURL)")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}
