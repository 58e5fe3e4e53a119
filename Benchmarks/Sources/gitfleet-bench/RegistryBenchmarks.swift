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

/// Registry writes per second through gitfleet's etcd registry, next to the same writes made by `etcdctl put`
/// against the same etcd in the same run.
///
/// Each gitfleet write is one registry commit of one instance record: one etcd txn that puts the record's JSON
/// and clears its discovery key. Each etcdctl write puts the same JSON under a key of its own, one `etcdctl`
/// process per write, the way a script or an operator writes to etcd. Both run sequentially and then with
/// `concurrency` writers at once (tasks for gitfleet, parallel processes for etcdctl).
enum RegistryBenchmarks {
    static func run(writes: Int, concurrency: Int, etcdctl: String) async throws {
        let etcd = try LocalEtcd()
        defer { etcd.stop() }
        try await etcd.waitUntilHealthy()
        let registry = try EtcdRegistry(configuration: EtcdConfiguration(endpoints: [etcd.clientURL], prefix: "/bench"))
        do {
            for round in [1, concurrency] {
                let through = try await gitfleetWrites(registry, writes: writes, writers: round, round: round)
                let reference = try await etcdctlWrites(
                    etcdctl, etcd: etcd.clientURL, writes: writes, writers: round, round: round)
                print(
                    String(
                        format: "%2d writer(s): gitfleet %.0f writes/s, etcdctl %.0f writes/s, ratio %.2f×",
                        round, through, reference, through / reference))
            }
        } catch {
            try? await registry.close()
            throw error
        }
        try await registry.close()
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

    static func etcdctlWrites(_ etcdctl: String, etcd: String, writes: Int, writers: Int, round: Int) async throws
        -> Double
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let value = String(decoding: try encoder.encode(record(0, round: round)), as: UTF8.self)
        let (_, seconds) = try await timedAsync {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in stride(from: writer, to: writes, by: writers) {
                            try await runEtcdctl(
                                etcdctl, ["--endpoints", etcd, "put", "/reference/\(round)/\(index)", value])
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        return Double(writes) / seconds
    }

    /// Runs one etcdctl on a Dispatch thread, so waiting for it never blocks the concurrency pool.
    static func runEtcdctl(_ etcdctl: String, _ arguments: [String]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: etcdctl)
                process.arguments = arguments
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                do {
                    try process.run()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else {
                        throw BenchmarkError("etcdctl \(arguments.joined(separator: " ")) failed")
                    }
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// A single-member etcd in a temporary folder on loopback ports, for the registry benchmark.
final class LocalEtcd: @unchecked Sendable {
    let clientURL: String
    let process = Process()
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gitfleet-bench-etcd-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let base = Int.random(in: 20_000..<40_000)
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
